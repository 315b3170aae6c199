// The Platform of one boot of the simulated device: fault-injecting fs, cut-able checkpoints, a reboot that halts.
import { delimiter } from "node:path";
import type { Clock, FileSystem, Platform, RunOptions, RunResult } from "../../core/capabilities/platform.js";
import { checkResult, runProcess } from "../../core/platform/process-runner.js";
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

  /**
   * Real processes through core's runner (same results, errors and abort behaviour as a device), with the sim's
   * bin dir first on PATH and OTA_SIM_SYSROOT set. `cwd` is a device path, as on the real platform.
   */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.host.assertAlive();
    const path = options.env?.PATH ?? this.options.env?.PATH ?? process.env.PATH ?? "";
    return runProcess(command, args, {
      ...options,
      cwd: options.cwd === undefined ? undefined : this.path(options.cwd),
      env: {
        ...this.options.env,
        ...options.env,
        OTA_SIM_SYSROOT: this.sysroot,
        PATH: [this.host.binDir, path].filter(Boolean).join(delimiter),
      },
    });
  }

  async runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return checkResult(command, args, await this.run(command, args, options));
  }
}
