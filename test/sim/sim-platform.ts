// The Platform of one boot of the simulated device: fault-injecting fs, cut-able checkpoints, a reboot that halts.
import { spawn } from "node:child_process";
import { delimiter } from "node:path";
import type { Clock, FileSystem, Platform, RunOptions, RunResult } from "../../core/capabilities/platform.js";
import { OtaError } from "../../core/errors/index.js";
import { SimFs, type SimStorageGate } from "./sim-fs.js";

/** What a SimPlatform needs from its device (SimDevice implements it). */
export interface SimPlatformHost extends SimStorageGate {
  readonly sysroot: string;
  /** Directory put first on PATH for `run` (fake systemctl and friends). */
  readonly binDir: string;
  /** Records a checkpoint; cuts power (and throws SimPowerCut) when one is armed there. */
  checkpoint(name: string): void;
  /** Records the reboot request and ends this boot; always throws SimHalt. */
  requestReboot(arg: string | undefined): never;
}

export interface SimPlatformOptions {
  /** Replaces the real clock (e.g. a fake one for deadline tests). */
  clock?: Clock;
  /** Extra environment for every `run`. */
  env?: Record<string, string>;
}

/** A real clock; `sleep` honours the abort signal. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export class SimPlatform implements Platform {
  readonly sysroot: string;
  readonly clock: Clock;
  readonly fs: FileSystem;
  private readonly simFs: SimFs;

  constructor(
    private readonly host: SimPlatformHost,
    private readonly options: SimPlatformOptions = {},
  ) {
    this.sysroot = host.sysroot;
    this.clock = options.clock ?? realClock;
    this.simFs = new SimFs(host.sysroot, host);
    this.fs = this.simFs;
  }

  path(devicePath: string): string {
    return this.simFs.hostPath(devicePath);
  }

  devicePath(hostPath: string): string | undefined {
    return this.simFs.devicePath(hostPath);
  }

  checkpoint(name: string): void {
    this.host.assertAlive();
    this.host.checkpoint(name);
  }

  async reboot(arg?: string): Promise<void> {
    this.host.assertAlive();
    this.host.requestReboot(arg);
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.host.assertAlive();
    const started = performance.now();
    const maxOut = options.maxOutputBytes ?? 1024 * 1024;
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...this.options.env,
      ...options.env,
      OTA_SIM_SYSROOT: this.sysroot,
    };
    env.PATH = [this.host.binDir, env.PATH ?? ""].filter(Boolean).join(delimiter);
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, [...args], { env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const keepTail = (s: string): string => (s.length > maxOut ? s.slice(s.length - maxOut) : s);
      child.stdout.on("data", (d: Buffer) => (stdout = keepTail(stdout + d.toString())));
      child.stderr.on("data", (d: Buffer) => (stderr = keepTail(stderr + d.toString())));
      const kill = (): void => {
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 2000).unref();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs ?? 60_000);
      const onAbort = (): void => kill();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      child.on("error", (err) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        reject(new OtaError("OTA_ERR_PROCESS_SPAWN", `cannot start ${command}: ${err.message}`, { cause: err }));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        resolve({ code, signal, stdout, stderr, timedOut, durationMs: performance.now() - started });
      });
      child.stdin.on("error", () => undefined); // a child that exits without reading its input is not an error
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
  }

  async runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(command, args, options);
    if (r.timedOut) {
      throw new OtaError("OTA_ERR_PROCESS_TIMEOUT", `${command} did not finish within ${options.timeoutMs ?? 60_000} ms`, {
        details: { command, args: [...args] },
      });
    }
    if (r.code !== 0) {
      throw new OtaError("OTA_ERR_PROCESS_FAILED", `${command} exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(-500)}`, {
        details: { command, args: [...args], code: r.code, stderr: r.stderr.slice(-4096) },
      });
    }
    return r;
  }
}
