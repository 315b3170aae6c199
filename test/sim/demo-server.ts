// `npm run demo -- --server`: the daemon's loop on the simulated Pi against the development Mender server, both sides narrated.
import { mkdir, writeFile } from "node:fs/promises";
import { createAgent, type Agent } from "../../core/agent.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveAll } from "../../core/di/resolve.js";
import type { Logger } from "../../core/logging/logger.js";
import { AgentStopping } from "../../core/scheduler/agent-stopping.js";
import { MaintenanceWindows } from "../../core/scheduler/maintenance-windows.js";
import { UpdateScheduler } from "../../core/scheduler/update-scheduler.js";
import type { StateName } from "../../core/state-machine/events.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import { SimDevice, isSimStop } from "./index.js";
import { DevServer, type RecordedRequest } from "./server/dev-server.js";

export interface ServerDemoHooks {
  say(line?: string): void;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  /** Narration of the agent's states (shared with the standalone demo). */
  stateLines: Partial<Record<StateName, string>>;
  buildArtifact(device: SimDevice, name: string, version: string, behaviour: "boots" | "panics"): Promise<string>;
  showDevice(device: SimDevice, logger: Logger): Promise<string>;
}

/** What the server side says about a request it answered (undefined: not worth a line). */
function serverLine(r: RecordedRequest): string | undefined {
  const body = r.body as { status?: string } | undefined;
  switch (r.endpoint) {
    case "mender.auth":
      return r.status === 200 ? "device authenticated: JWT issued" : `authentication refused (${r.status}: device pending until an operator accepts it)`;
    case "mender.next.v1":
      return r.status === 204 ? "next deployment? nothing for this device (204)" : r.status === 200 ? "next deployment? offered" : undefined;
    case "mender.status":
      return `status ${body?.status ?? "?"} recorded`;
    case "mender.log":
      return "deployment log uploaded";
    case "mender.inventory":
      return r.status === 200 ? "inventory received" : undefined;
    case "mender.download":
      return r.status === 200 || r.status === 206 ? `artifact downloaded from a presigned link (Authorization header ${r.hadAuthorization ? "PRESENT: bug" : "absent"})` : undefined;
    default:
      return undefined;
  }
}

export async function serverDemo(h: ServerDemoHooks, logger: Logger): Promise<number> {
  const { say, bold, dim, green, red } = h;
  const server = await DevServer.start({ mender: { autoAccept: false } });
  const device = await SimDevice.create({
    slotA: { version: "v1" },
    slotB: { version: "v1" },
    config: {
      plugins: {
        "server-mender": { serverUrl: server.url, updatePollIntervalSeconds: 1, inventoryPollIntervalSeconds: 3600, retryPollIntervalSeconds: 1, requestTimeoutSeconds: 5 },
      },
      schedule: { jitterPercent: 0 },
    },
  });
  let seen = 0;
  let accepted = false;
  const narrate = (): void => {
    for (; seen < server.requests.length; seen++) {
      const r = server.requests[seen];
      const line = r && r.status !== 0 ? serverLine(r) : undefined;
      if (r && r.status === 0) break; // not answered yet: print it once it is
      if (line) say(`    ${dim("server:")} ${line}`);
    }
  };
  const timer = setInterval(narrate, 50);
  try {
    // The device's identity is its first Ethernet MAC (no identity script on this image).
    await mkdir(device.path("/sys/class/net/eth0"), { recursive: true });
    await writeFile(device.path("/sys/class/net/eth0/address"), "dc:a6:32:12:34:56\n");
    await writeFile(device.path("/sys/class/net/eth0/type"), "1\n");
    say(bold("ota-agent demo (--server): a simulated Raspberry Pi 5 and a local Mender-protocol server"));
    say(`  server ${dim(server.url)} (every request checked against the published API documents)`);
    say(`  device folder ${dim(device.dir)}; slot a committed, v1 in both slots`);
    await h.showDevice(device, logger);

    say();
    say(bold("1. building two artifacts and uploading them to the server"));
    const v2 = await h.buildArtifact(device, "release-v2", "v2", "boots");
    const v3 = await h.buildArtifact(device, "release-v3", "v3", "panics");
    say(`    release-v2: a good system image; release-v3: its kernel panics at boot`);

    const runOne = async (title: string, name: string, devicePath: string): Promise<string[]> => {
      say();
      say(bold(title));
      const id = server.mender.createDeployment({ artifactName: name, artifact: device.path(devicePath), deviceTypes: [device.deviceType] });
      say(`    ${dim("operator:")} deployment ${dim(id)} of ${name} for device type ${device.deviceType}`);
      await runDaemon(device, server, id, logger, h, () => {
        if (!accepted && server.mender.device && [...server.mender.device.authSets.values()].includes("pending")) {
          accepted = true;
          narrate();
          say(`    ${dim("operator:")} accepts the pending device`);
          server.mender.accept();
        }
      });
      narrate();
      return server.mender.statuses(id);
    };

    const s2 = await runOne("2. the daemon polls the server and deploys release-v2", "release-v2", v2);
    say(`    server recorded: ${s2.join(" → ")}`);
    const v2ok = s2.at(-1) === "success";
    await h.showDevice(device, logger);

    const s3 = await runOne("3. the same for release-v3", "release-v3", v3);
    say(`    server recorded: ${s3.join(" → ")}`);
    const v3failed = s3.at(-1) === "failure";
    const version = await h.showDevice(device, logger);

    say();
    const ok = v2ok && v3failed && version === "v2" && server.violations.length === 0;
    if (server.violations.length > 0) say(red(`server saw requests its API documents reject:\n${server.violations.join("\n")}`));
    say(ok ? green(bold("done: the server shows release-v2 succeeded and release-v3 failed; the device runs release-v2, committed")) : red(bold("demo failed")));
    return ok ? 0 : 1;
  } finally {
    clearInterval(timer);
    await server.stop();
    await device.close();
  }
}

/**
 * The daemon's loop (UpdateScheduler) in-process on the simulated device, started again after every reboot as
 * systemd would, until the server has the deployment's final status.
 */
async function runDaemon(device: SimDevice, server: DevServer, id: string, logger: Logger, h: ServerDemoHooks, tick: () => void): Promise<void> {
  const { say, bold, dim } = h;
  for (let boots = 0; boots < 20; boots++) {
    let agent: Agent | undefined;
    const stop = new AbortController();
    const watch = setInterval(() => {
      tick();
      const s = server.mender.statuses(id);
      if (s.includes("success") || s.includes("failure")) stop.abort(new AgentStopping("demo"));
    }, 50);
    let rebooted = false;
    try {
      say(`    ${dim("·")} ota-agent daemon starts`);
      agent = await createAgent({ config: device.config(), platform: device.platform(), logger, builtinPlugins });
      const a = agent;
      const scheduler = new UpdateScheduler({
        platform: a.platform,
        log: logger,
        server: resolveAll(a.container, TOKENS.DeploymentServer)[0]!,
        runner: resolve(a.container, TOKENS.DeploymentRunner),
        deviceType: a.info.deviceType ?? "",
        schedule: a.config.schedule,
        windows: await MaintenanceWindows.parse(a.config.schedule.maintenanceWindows),
        onStatus: (text) => {
          const state = /: (\w+)$/.exec(text)?.[1] as StateName | undefined;
          const line = state ? h.stateLines[state] : undefined;
          if (line) say(`    ${dim("·")} ${line}`);
        },
      });
      await scheduler.run(stop.signal);
    } catch (err) {
      if (isSimStop(err)) rebooted = true;
      else if (!stop.signal.aborted) throw err;
    } finally {
      clearInterval(watch);
      await agent?.close().catch(() => undefined);
    }
    if (!rebooted) return;
    const boot = await device.boot();
    say(`    ${bold("reboot")}`);
    for (const l of boot.bootLog) say(`      ${dim(l)}`);
  }
  throw new Error("the deployment did not end within 20 boots");
}
