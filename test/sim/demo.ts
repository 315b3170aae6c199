// `npm run demo`: a simulated Raspberry Pi installs a good update (committed) and a broken one (rolled back), narrated.
import "reflect-metadata";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { pino } from "pino";
import { rpiAbSlotWriteOptions, writeArtifact } from "../../artifacts/index.js";
import { createAgent, type Agent } from "../../core/agent.js";
import type { Deployment, DeploymentServer } from "../../core/capabilities/deployment-server.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import type { InstallProgress } from "../../core/install/download-types.js";
import type { Logger } from "../../core/logging/logger.js";
import type { DeploymentOutcome } from "../../core/state-machine/deployment-runner.js";
import type { StateName } from "../../core/state-machine/events.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import { SimDevice, isSimStop, makeSlotImages, type SlotBehaviour } from "./index.js";

const tty = process.stdout.isTTY === true;
const c = (code: number, s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string): string => c(1, s);
const dim = (s: string): string => c(2, s);
const green = (s: string): string => c(32, s);
const red = (s: string): string => c(31, s);
const say = (s = ""): void => void process.stdout.write(s + "\n");

/** What the narration says when the machine enters a state (states not listed pass silently). */
const STATE_LINES: Partial<Record<StateName, string>> = {
  Download: "downloading, verifying and writing the other slot",
  ArtifactInstall: "arming a one-shot trial boot (autoboot.txt [tryboot] = the new slot)",
  ArtifactReboot: 'rebooting with "0 tryboot"',
  ArtifactVerifyReboot: "checking that the trial slot really booted",
  HealthCheck: "running health checks in the trial",
  ArtifactCommit: "committing: autoboot.txt [all] = the new slot",
  ArtifactRollback: "rolling back: disarming the trial",
  ArtifactRollbackReboot: "rebooting to the committed slot",
  ArtifactVerifyRollbackReboot: "checking we are back on the committed slot",
  ArtifactFailure: "undoing what the failed install left",
  Cleanup: "cleaning up the deployment's work files",
};

/**
 * How a deployment reaches the device. Standalone: the artifact file is installed as by `ota-agent install
 * --reboot`. A `--server` mode (a local fleet server offering the same artifacts) plugs in here as another driver.
 */
interface DeploymentDriver {
  readonly name: string;
  /** The deployment to start for an artifact at a device path. */
  deployment(devicePath: string, artifactName: string): Promise<Deployment>;
  /** The server the runner reports to, if any. */
  server?: DeploymentServer;
}

const standaloneDriver: DeploymentDriver = {
  name: "standalone",
  async deployment(devicePath) {
    return { id: `standalone-${Date.now()}`, artifactName: "", uri: devicePath, policy: { download: "forced", update: "forced" }, server: "standalone" };
  },
};

async function buildArtifact(device: SimDevice, name: string, version: string, behaviour: SlotBehaviour): Promise<string> {
  const images = makeSlotImages({ version, behaviour, bootBytes: 256 * 1024, systemBytes: 1024 * 1024, fill: "pattern" });
  const devicePath = `/var/tmp/${name}.mender`;
  const host = device.path(devicePath);
  await mkdir(dirname(host), { recursive: true });
  const out = createWriteStream(host);
  await writeArtifact(
    rpiAbSlotWriteOptions({
      name,
      deviceTypes: [device.deviceType],
      files: [
        { name: "boot", size: images.boot.length, open: () => Readable.from([images.boot]) },
        { name: "system", size: images.system.length, open: () => Readable.from([images.system]) },
      ],
      compression: "gzip",
    }),
    out,
  );
  await finished(out);
  return devicePath;
}

function progressLine(p: InstallProgress): void {
  if (!p.total) return;
  const pct = Math.min(100, Math.floor((p.bytes / p.total) * 100));
  const width = 30;
  const filled = Math.round((pct / 100) * width);
  const line = `      [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(pct).padStart(3)}%  ${(p.bytes / 1024).toFixed(0)} KiB`;
  if (tty) process.stdout.write(`\r${line}`);
  else if (p.phase === "done") say(line);
}

async function showDevice(device: SimDevice, logger: Logger): Promise<string> {
  const agent = await createAgent({ config: device.config(), platform: device.platform(), logger, builtinPlugins });
  try {
    const runner = resolve(agent.container, TOKENS.DeploymentRunner);
    const boot = await runner.bootState();
    const installed = await runner.installed();
    const marker = boot ? await device.slotMarker(boot.booted) : undefined;
    const line = `slot ${boot?.booted ?? "?"} running ${marker?.version ?? "?"}${boot?.trial ? " (trial)" : ""}, committed ${boot?.committed ?? "?"}, installed artifact "${installed.artifactName}"`;
    say(`    ${dim("device:")} ${line}`);
    return marker?.version ?? "?";
  } finally {
    await agent.close();
  }
}

/** Runs one deployment to its end: start, then after every reboot boot the device and resume (as the daemon does). */
async function deploy(device: SimDevice, driver: DeploymentDriver, uri: string, logger: Logger): Promise<DeploymentOutcome> {
  const deployment = await driver.deployment(uri, "");
  let started = false;
  for (let boots = 0; boots < 20; boots++) {
    let agent: Agent | undefined;
    let outcome: DeploymentOutcome | "halted";
    try {
      agent = await createAgent({ config: device.config(), platform: device.platform(), logger, builtinPlugins });
      const runner = resolve(agent.container, TOKENS.DeploymentRunner);
      const options = {
        signal: new AbortController().signal,
        onState: (s: StateName) => {
          const line = STATE_LINES[s];
          if (line) say(`    ${dim("·")} ${line}`);
        },
        onProgress: progressLine,
        ...(driver.server ? { server: driver.server } : {}),
      };
      if (!started) {
        started = true;
        outcome = await runner.start(deployment, { ...options, reboot: true });
      } else {
        say(`    ${dim("·")} agent starts and resumes the deployment`);
        outcome = await runner.resume(options);
      }
    } catch (err) {
      if (!isSimStop(err)) throw err;
      outcome = "halted";
    } finally {
      await agent?.close().catch(() => undefined);
    }
    if (outcome !== "halted" && outcome.kind !== "rebooting") return outcome;
    const boot = await device.boot();
    say(`    ${bold("reboot")}`);
    for (const l of boot.bootLog) say(`      ${dim(l)}`);
  }
  throw new Error("the deployment did not end within 20 boots");
}

async function main(argv: readonly string[]): Promise<number> {
  const logger = pino({ level: process.env.OTA_DEMO_LOG ?? "silent" }) as unknown as Logger;
  if (argv.includes("--server")) {
    // The daemon's loop against the development Mender server (test/sim/demo-server.ts), the server side narrated.
    const { serverDemo } = await import("./demo-server.js");
    return serverDemo({ say, bold, dim, green, red, stateLines: STATE_LINES, buildArtifact, showDevice }, logger);
  }
  const driver = standaloneDriver;
  say(bold("ota-agent demo: a simulated Raspberry Pi 5 with an rpi-image-gen A/B image"));
  const device = await SimDevice.create({ slotA: { version: "v1" }, slotB: { version: "v1" } });
  try {
    say(`  device folder ${dim(device.dir)}; slot a committed, v1 in both slots`);
    await showDevice(device, logger);

    say();
    say(bold("1. building two artifacts with our Mender Artifact writer"));
    const v2 = await buildArtifact(device, "release-v2", "v2", "boots");
    const v3 = await buildArtifact(device, "release-v3", "v3", "panics");
    say(`    release-v2: a good system image               ${dim(v2)}`);
    say(`    release-v3: its kernel panics at boot         ${dim(v3)}`);

    say();
    say(bold(`2. installing release-v2 (${driver.name})`));
    const first = await deploy(device, driver, v2, logger);
    const v2ok = first.kind === "success";
    say(`    result: ${v2ok ? green("success — committed") : red(first.kind)}`);
    await showDevice(device, logger);

    say();
    say(bold(`3. installing release-v3 (${driver.name})`));
    const second = await deploy(device, driver, v3, logger);
    const v3rolledBack = second.kind === "rolled-back";
    const why = second.kind !== "nothing" && second.error ? ` (${second.error.code}: ${second.error.message})` : "";
    say(`    result: ${v3rolledBack ? green("failure reported, rolled back") : red(second.kind)}${dim(why)}`);
    const version = await showDevice(device, logger);

    say();
    const ok = v2ok && v3rolledBack && version === "v2" && (await device.autoboot()).committed !== undefined;
    say(ok ? green(bold("done: the device runs release-v2, committed; the broken release-v3 never became the default")) : red(bold("demo failed")));
    return ok ? 0 : 1;
  } finally {
    await device.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
