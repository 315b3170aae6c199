// The running daemon end to end: control socket commands, the agent lock, SIGTERM mid-download, systemd notify.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { digest, menderPlugin, useE2E, waitFor } from "./daemon-harness.js";

const menderConfig = (updatePollIntervalSeconds: number) => (server: { url: string }) => ({
  plugins: menderPlugin(server, { updatePollIntervalSeconds, inventoryPollIntervalSeconds: 3600 }),
});

// Whatever a test does, the daemon and the CLI never send a request the published documents reject (checked after each).
const startE2E = useE2E();

/** Waits until the daemon logged `event` (its stdout is JSON lines). */
function logged(d: { lines: Record<string, unknown>[] }, event: string): boolean {
  return d.lines.some((l) => l["event"] === event);
}

describe("daemon control socket and lock", () => {
  it("answers status, check-update and send-inventory, and locks out a standalone install (exit 4)", async () => {
    // A long poll interval: after the first poll only a trigger makes the daemon ask again.
    const t = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig(3600) });
    const d = t.daemon();
    await waitFor(`the first poll\n${digest(d)}`, () => t.server.requests.some((r) => r.endpoint === "mender.next.v1") && logged(d, "daemon.started"));

    const status = await t.cli(["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const doc = JSON.parse(status.stdout) as { daemon: { pid: number; phase: string; server: string } | null };
    expect(doc.daemon?.pid).toBe(d.child.pid);
    expect(doc.daemon?.server).toBe("server-mender");

    const polls = t.server.requests.filter((r) => r.endpoint === "mender.next.v1").length;
    const nothing = await t.cli(["check-update", "--json"]);
    expect(nothing.code, nothing.stderr).toBe(3);
    expect(JSON.parse(nothing.stdout)).toMatchObject({ via: "daemon", kind: "nothing" });
    expect(t.server.requests.filter((r) => r.endpoint === "mender.next.v1").length).toBe(polls + 1);

    const inventories = t.server.requests.filter((r) => r.endpoint === "mender.inventory").length;
    const inv = await t.cli(["send-inventory", "--json"]);
    expect(inv.code, inv.stderr).toBe(0);
    expect(JSON.parse(inv.stdout)).toMatchObject({ via: "daemon", kind: "sent" });
    // The attributes are unchanged since the start, so the plugin may skip the upload; the daemon still answered.
    expect(t.server.requests.filter((r) => r.endpoint === "mender.inventory").length).toBeGreaterThanOrEqual(inventories);

    const file = await t.artifact({ name: "release-2", version: "v2" });
    const locked = await t.cli(["install", file]);
    expect(locked.code, locked.stderr).toBe(4);
    expect(locked.stderr).toContain("OTA_ERR_LOCKED");

    // A deployment created now is found by the next triggered check, not an hour later.
    const id = t.server.mender.createDeployment({ artifactName: "release-2", artifact: file, deviceTypes: [t.device.deviceType] });
    const found = await t.cli(["check-update", "--json"]);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ via: "daemon", kind: "deployment", deploymentId: id, artifactName: "release-2" });
    await waitFor(`the reboot into the trial\n${digest(d)}`, () => t.device.pendingReboot !== undefined);
    expect(await d.stop()).toBe(0);
    // Stopped: the socket is gone and commands work alone again.
    const after = await t.cli(["status", "--json"]);
    expect((JSON.parse(after.stdout) as { daemon: unknown }).daemon).toBeNull();
  });

  it("stops cleanly on SIGTERM mid-download; the next start reports the deployment failed and keeps slot a", async () => {
    const t = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig(1) });
    const file = await t.artifact({ name: "release-2", version: "v2" });
    const id = t.server.mender.createDeployment({ artifactName: "release-2", artifact: file, deviceTypes: [t.device.deviceType] });
    // The artifact download never answers: the daemon sits in Download when SIGTERM comes.
    t.server.fault({ endpoint: "mender.download", kind: "hang" });
    const first = t.daemon();
    await waitFor(`the download to start\n${digest(first)}`, () => t.server.requests.some((r) => r.endpoint === "mender.download"));
    expect(await first.stop(), digest(first)).toBe(0);
    expect(t.server.mender.statuses(id)).toEqual(["downloading"]);
    expect(logged(first, "daemon.stopped")).toBe(true);

    const second = t.daemon();
    await waitFor(`the failure report\n${digest(second)}`, () => t.server.mender.statuses(id).includes("failure"));
    expect(await second.stop()).toBe(0);
    expect(t.server.mender.statuses(id)).toEqual(["downloading", "failure"]);
    expect(t.device.pendingReboot).toBeUndefined();
    expect((await t.device.autoboot()).committed).toBe("a");
  });
});

/** python3 receives the datagrams (node has no unix datagram socket); systemd-notify sends them. */
const hasNotifyTools = ["python3", "systemd-notify"].every((tool) => spawnSync(tool, ["--version"]).status === 0);

describe("daemon under systemd (Type=notify)", () => {
  const python = "python3";

  it.skipIf(!hasNotifyTools)("sends READY=1, STATUS=, WATCHDOG=1 at half of WATCHDOG_USEC, then STOPPING=1 (skipped only without python3 or systemd-notify)", async () => {
    const t = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig(3600) });
    const socket = `${t.device.dir}/notify.sock`;
    const out = `${t.device.dir}/notify.log`;
    // A unix datagram receiver standing in for systemd (node has none); one message per line.
    const receiver = spawn(python, [
      "-c",
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nf=open(sys.argv[2],"a")\nprint("bound",flush=True)\nwhile True:\n  m=s.recv(65536)\n  f.write(m.decode().replace("\\n"," ")+"\\n");f.flush()`,
      socket,
      out,
    ]);
    try {
      await new Promise<void>((resolve, reject) => {
        receiver.stdout.once("data", () => resolve());
        receiver.once("exit", (code) => reject(new Error(`python3 receiver exited ${String(code)}`)));
      });
      const d = t.daemon({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: "400000" });
      const read = (): string[] => (existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : []);
      await waitFor(`READY=1 and two keep-alives\n${digest(d)}`, () => read().some((m) => m.includes("READY=1")) && read().filter((m) => m.includes("WATCHDOG=1")).length >= 2);
      expect(await d.stop()).toBe(0);
      // systemd-notify follows each message with a BARRIER=1 datagram (it waits until the manager read it).
      const messages = read().filter((m) => !m.startsWith("BARRIER=1"));
      const ready = messages.findIndex((m) => m.includes("READY=1"));
      expect(messages[ready]).toMatch(/STATUS=polling server-mender/);
      expect(messages.every((m) => m.includes(`MAINPID=${String(d.child.pid)}`))).toBe(true);
      expect(messages.at(-1)).toMatch(/STOPPING=1/);
      expect(messages.findIndex((m) => m.includes("WATCHDOG=1"))).toBeGreaterThan(ready);
    } finally {
      receiver.kill();
    }
  });
});

describe("without a daemon, and without a server", () => {
  it("check-update asks the server once and installs nothing; send-inventory sends directly", async () => {
    const t = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig(3600) });
    const nothing = await t.cli(["check-update", "--json"]);
    expect(nothing.code, nothing.stderr).toBe(3);
    expect(JSON.parse(nothing.stdout)).toMatchObject({ via: "standalone", kind: "nothing" });
    const file = await t.artifact({ name: "release-2", version: "v2" });
    const id = t.server.mender.createDeployment({ artifactName: "release-2", artifact: file, deviceTypes: [t.device.deviceType] });
    const found = await t.cli(["check-update", "--json"]);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ via: "standalone", kind: "deployment", deploymentId: id });
    expect(t.server.mender.statuses(id)).toEqual([]);
    const inv = await t.cli(["send-inventory"]);
    expect(inv.code, inv.stderr).toBe(0);
    expect(t.server.requests.some((r) => r.endpoint === "mender.inventory" && r.status === 200)).toBe(true);
  });

  it("daemon-with-nothing-to-poll exits 1 with OTA_ERR_DAEMON_NOTHING_TO_POLL", async () => {
    const e2e = await startE2E({ config: () => ({}) });
    const d = e2e.daemon();
    expect(await d.exited).toBe(1);
    expect(d.stderr.join("") + JSON.stringify(d.lines)).toContain("OTA_ERR_DAEMON_NOTHING_TO_POLL");
  });

  it("self-update: installs a new artifact name found at a file path, commits it after the reboot, then idles", async () => {
    const t = await startE2E({
      config: () => ({ schedule: { jitterPercent: 0, selfUpdate: { uri: "/var/tmp/latest.mender", intervalSeconds: 1 } } }),
    });
    const { copyFile, mkdir } = await import("node:fs/promises");
    await mkdir(t.device.path("/var/tmp"), { recursive: true });
    await copyFile(await t.artifact({ name: "release-2", version: "v2" }), t.device.path("/var/tmp/latest.mender"));
    const first = t.daemon();
    await waitFor(`the reboot into the trial\n${digest(first)}`, () => t.device.pendingReboot !== undefined);
    expect(await first.stop()).toBe(0);
    await t.device.boot();
    const second = t.daemon();
    await waitFor(`the deployment to end\n${digest(second)}`, () => second.lines.find((l) => l["event"] === "schedule.deployment-done"));
    // The next checks find the installed name: nothing more to do.
    await waitFor(`a check after the deployment\n${digest(second)}`, () => second.lines.filter((l) => l["event"] === "schedule.check-nothing").length >= 1);
    expect(await second.stop()).toBe(0);
    expect(second.lines.find((l) => l["event"] === "schedule.deployment-done")?.["outcome"]).toBe("success");
    expect((await t.device.autoboot()).committed).toBe("b");
    const status = JSON.parse((await t.cli(["status", "--json"])).stdout) as { artifact: { name: string } };
    expect(status.artifact.name).toBe("release-2");
  });
});
