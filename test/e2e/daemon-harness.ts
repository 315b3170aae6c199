// End-to-end harness: a simulated Pi, the development fleet server and `ota-agent daemon` as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { buildArtifactFile, type ArtifactRecipe } from "../helpers/scenario-sim.js";
import { DevServer, type DevServerOptions } from "../sim/server/dev-server.js";
import { SimDevice, type SimDeviceOptions } from "../sim/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "ota-agent.js");

/** The simulated systemd must say "running" (as in the scenario harness), read without a node process. */
const HEALTH_SCRIPT = `#!/bin/sh\ngrep -q '"state": "running"' "$OTA_SIM_SYSROOT/run/sim/systemd.json" || { echo "system is not running" >&2; exit 1; }\n`;

export interface DaemonProcess {
  child: ChildProcess;
  /** Every stdout line (pino JSON), parsed when it is JSON. */
  lines: Record<string, unknown>[];
  stderr: string[];
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | string>;
}

export interface E2E {
  device: SimDevice;
  server: DevServer;
  /** Host path of the agent config the daemon runs with. */
  configFile: string;
  /** Builds an rpi-ab-slot artifact into a host file (outside the device) and returns the path. */
  artifact(recipe: ArtifactRecipe): Promise<string>;
  /** Starts `ota-agent daemon` for the device as it is now. */
  daemon(env?: Record<string, string>): DaemonProcess;
  /** Runs a one-shot `ota-agent <args>` against the device; resolves with exit code and output. */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Rewrites the config (e.g. another server section). */
  writeConfig(extra: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface E2EOptions {
  server?: DevServerOptions;
  /** The `plugins` section (and more) merged into the agent config; `url` placeholders are filled by the caller. */
  config: (server: DevServer) => Record<string, unknown>;
  device?: SimDeviceOptions;
}

export async function startE2E(options: E2EOptions): Promise<E2E> {
  const server = await DevServer.start(options.server);
  const work = await mkdtemp(join(tmpdir(), "ota-e2e-"));
  const device = await SimDevice.create({
    // A short path: the control socket's host path must fit a unix socket address (107 bytes).
    ...(existsSync("/dev/shm") ? { dir: await mkdtemp(join("/dev/shm", "ota-e2e-")) } : {}),
    slotA: { version: "v1", bootBytes: 64 * 1024, systemBytes: 128 * 1024 },
    slotB: { version: "v1", bootBytes: 64 * 1024, systemBytes: 128 * 1024 },
    ...options.device,
  });
  // The identity the Mender plugin derives (first Ethernet MAC), and the artifact the factory image carries.
  await mkdir(device.path("/sys/class/net/eth0"), { recursive: true });
  await writeFile(device.path("/sys/class/net/eth0/address"), "dc:a6:32:00:00:01\n");
  await writeFile(device.path("/sys/class/net/eth0/type"), "1\n");
  await mkdir(device.path("/etc/ota-agent/health.d"), { recursive: true });
  await writeFile(device.path("/etc/ota-agent/health.d/10-system-running"), HEALTH_SCRIPT, { mode: 0o755 });
  await writeFile(device.path("/etc/ota-agent/artifact_info"), "artifact_name=release-1\n");

  const configFile = join(work, "config.json");
  const writeConfig = async (extra: Record<string, unknown>): Promise<void> => {
    const config = {
      ...device.config(),
      log: { level: "debug" },
      stateScripts: { retryIntervalMs: 10, retryTimeoutMs: 500, timeoutMs: 10_000 },
      health: { deadlineMs: 10_000 },
      schedule: { jitterPercent: 0 },
      ...options.config(server),
      ...extra,
    };
    await writeFile(configFile, JSON.stringify(config, null, 2));
  };
  await writeConfig({});

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    // The fake systemctl first on PATH; OTA_SIM_SYSROOT as SimPlatform.run sets it (the health script reads it).
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${device.binDir}:${process.env["PATH"] ?? ""}`, OTA_SIM_SYSROOT: device.sysroot, ...extra };
    delete e["NOTIFY_SOCKET"];
    delete e["OTA_AGENT_LOG_LEVEL"];
    if (extra["NOTIFY_SOCKET"]) e["NOTIFY_SOCKET"] = extra["NOTIFY_SOCKET"];
    return e;
  };

  const daemons: DaemonProcess[] = [];
  return {
    device,
    server,
    configFile,
    writeConfig,
    async artifact(recipe) {
      const file = join(work, `${recipe.name}.mender`);
      await buildArtifactFile({ ...recipe, deviceType: recipe.deviceType ?? device.deviceType }, file);
      return file;
    },
    daemon(extraEnv) {
      const child = spawn(process.execPath, [BIN, "daemon", "--config", configFile], { env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
      const lines: Record<string, unknown>[] = [];
      const stderr: string[] = [];
      let buffered = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const parts = buffered.split("\n");
        buffered = parts.pop() ?? "";
        for (const p of parts) {
          try {
            lines.push(JSON.parse(p) as Record<string, unknown>);
          } catch {
            lines.push({ raw: p });
          }
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
      const exited = new Promise<number | string>((resolve) =>
        child.once("exit", (code, sig) => {
          // OTA_E2E_LOG=<file>: keep every daemon's log lines for a look after a failed run.
          const keep = process.env["OTA_E2E_LOG"];
          if (keep) appendFileSync(keep, lines.map((l) => JSON.stringify(l)).join("\n") + `\n--- daemon exit ${String(code ?? sig)} ---\n` + stderr.join(""));
          resolve(code ?? sig ?? "unknown");
        }),
      );
      const handle: DaemonProcess = {
        child,
        lines,
        stderr,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      };
      daemons.push(handle);
      return handle;
    },
    cli(args, extraEnv) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args, "--config", configFile], { env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.once("exit", (code) => resolve({ code, stdout, stderr }));
      });
    },
    async close() {
      for (const d of daemons) {
        if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill("SIGKILL");
      }
      await Promise.all(daemons.map((d) => d.exited));
      await server.stop();
      await device.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Gives a test file one E2E per test: the returned function starts it, and after each test it is closed and
 * checked for requests the published API documents reject (whatever the test did).
 */
export function useE2E(): (options: E2EOptions) => Promise<E2E> {
  let current: E2E | undefined;
  afterEach(async () => {
    const violations = current?.server.violations ?? [];
    await current?.close();
    current = undefined;
    expect(violations, "requests the published API documents reject").toEqual([]);
  });
  return async (options) => (current = await startE2E(options));
}

/** The `server-mender` plugin section for `server`: quick retries and timeouts, updates polled every given seconds. */
export function menderPlugin(
  server: { url: string },
  poll: { updatePollIntervalSeconds: number; inventoryPollIntervalSeconds?: number },
): Record<string, unknown> {
  return { "server-mender": { serverUrl: server.url, ...poll, retryPollIntervalSeconds: 1, requestTimeoutSeconds: 5 } };
}

/** The `server-hawkbit` plugin section for `server` and one target: polls every second, feedback never held back. */
export function hawkbitPlugin(server: { url: string }, controllerId: string, targetToken: string): Record<string, unknown> {
  return {
    "server-hawkbit": {
      serverUrl: server.url,
      controllerId,
      targetToken,
      defaultPollSeconds: 1,
      retryPollIntervalSeconds: 1,
      requestTimeoutSeconds: 5,
      minFeedbackIntervalSeconds: 0,
    },
  };
}

/**
 * Runs one daemon per boot until `end.reached` says the deployment is over, booting the device whenever a daemon
 * asked for a reboot (each daemon must stop with exit 0). Returns every daemon that ran; fails when a daemon exits
 * on its own or the end needs more than `maxBoots` reboots.
 */
export async function runDaemonsUntil(t: E2E, end: { what: string; reached: (d: DaemonProcess) => boolean }, maxBoots = 4): Promise<DaemonProcess[]> {
  const runs: DaemonProcess[] = [];
  for (let boot = 0; boot <= maxBoots; boot++) {
    const d = t.daemon();
    runs.push(d);
    const what = await waitFor(
      `a reboot request or ${end.what} (boot ${boot})\n${digest(d)}`,
      () => {
        if (end.reached(d)) return "end";
        if (t.device.pendingReboot) return "reboot";
        if (d.child.exitCode !== null) return "exited";
        return undefined;
      },
      45_000,
    );
    if (what === "exited") throw new Error(`daemon exited early (${String(d.child.exitCode)}):\n${digest(d)}`);
    expect(await d.stop(), digest(d)).toBe(0);
    if (what === "end") return runs;
    await t.device.boot();
  }
  throw new Error(`${end.what}: not reached after ${maxBoots} reboots`);
}

/** Polls `check` every 50 ms until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The daemon logs for failure messages: the events and errors, compactly. */
export function digest(d: DaemonProcess): string {
  return d.lines
    .filter((l) => l["event"] !== undefined || (typeof l["level"] === "number" && (l["level"] as number) >= 40) || l["raw"] !== undefined)
    .map((l) => `${String(l["event"] ?? l["level"] ?? "")} ${String(l["msg"] ?? l["raw"] ?? "")}`)
    .join("\n") + (d.stderr.length ? `\nstderr: ${d.stderr.join("")}` : "");
}
