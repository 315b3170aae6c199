// NodePlatform: the real Platform — the only module that touches the OS (files, processes, reboot, clock).
import { resolve as resolveHost } from "node:path";
import type { Clock, Platform, RunOptions, RunResult } from "../capabilities/platform.js";
import { OtaError, asOtaError } from "../errors/index.js";
import { SystemClock } from "./system-clock.js";
import { NodeFileSystem } from "./node-file-system.js";
import { toDevicePath, toHostPath } from "./device-paths.js";
import { checkResult, runProcess } from "./process-runner.js";

export interface NodePlatformOptions {
  /** Host directory every device path is rooted at. Default "/". */
  sysroot?: string;
  /** Reboot command; the reboot argument is appended. Required for a sysroot other than "/". */
  rebootCommand?: readonly string[];
  clock?: Clock;
}

/** How long a reboot command may take before it counts as failed. */
const REBOOT_TIMEOUT_MS = 60_000;

export class NodePlatform implements Platform {
  readonly sysroot: string;
  readonly clock: Clock;
  readonly fs: NodeFileSystem;
  private readonly rebootCommand: readonly string[] | undefined;

  constructor(options: NodePlatformOptions = {}) {
    this.sysroot = resolveHost(options.sysroot ?? "/");
    this.clock = options.clock ?? new SystemClock();
    this.fs = new NodeFileSystem(this.sysroot);
    this.rebootCommand = options.rebootCommand;
  }

  path(devicePath: string): string {
    return toHostPath(this.sysroot, devicePath);
  }

  devicePath(hostPath: string): string | undefined {
    return toDevicePath(this.sysroot, hostPath);
  }

  /** `options.cwd` is a device path, like every other path given to the Platform. */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const cwd = options.cwd === undefined ? undefined : this.path(options.cwd);
    return runProcess(command, args, { ...options, cwd });
  }

  async runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return checkResult(command, args, await this.run(command, args, options));
  }

  /**
   * On "/": the configured rebootCommand or `systemctl reboot [arg]`. On any other sysroot only the configured
   * command runs: a test or simulator must never reboot the machine it runs on.
   */
  async reboot(arg?: string): Promise<void> {
    let argv: readonly string[];
    if (this.rebootCommand) argv = this.rebootCommand;
    else if (this.sysroot === "/") argv = ["systemctl", "reboot"];
    else {
      throw new OtaError(
        "OTA_ERR_REBOOT_REFUSED",
        `reboot refused: sysroot is ${this.sysroot} and no rebootCommand is configured (the host is never rebooted)`,
        { details: { sysroot: this.sysroot } },
      );
    }
    const [command, ...rest] = argv;
    const args = arg === undefined || arg === "" ? rest : [...rest, arg];
    try {
      checkResult(command!, args, await runProcess(command!, args, { timeoutMs: REBOOT_TIMEOUT_MS }));
    } catch (err) {
      const cause = asOtaError(err, "OTA_ERR_REBOOT_FAILED");
      throw new OtaError("OTA_ERR_REBOOT_FAILED", `reboot: ${cause.message}`, { cause, details: cause.details });
    }
  }

  checkpoint(_name: string): void {
    // A real device has no simulated power cuts; the simulator's Platform overrides this.
  }
}
