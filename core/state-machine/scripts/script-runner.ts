// Runs Mender-style state scripts of one state and action: discovery, NN order, exit 21 retries, timeouts, stderr.
import type { Platform } from "../../capabilities/platform.js";
import { OtaError, asOtaError } from "../../errors/index.js";
import { rethrowIfHalt } from "../halt.js";

export type ScriptAction = "Enter" | "Leave" | "Error";

export interface ScriptSettings {
  /** Per script run, ms. */
  timeoutMs: number;
  /** Delay before re-running a script that exited 21, ms. */
  retryIntervalMs: number;
  /** Total time a script may keep answering 21, ms. */
  retryTimeoutMs: number;
}

export interface ScriptRunOptions {
  signal: AbortSignal;
  /** Receives the deployment-log lines (stderr of scripts, failures). */
  note: (level: "info" | "warn" | "error", message: string) => void;
}

/** Exit code that means "not now, ask me again later" (Mender). */
export const RETRY_LATER_EXIT = 21;

const STDERR_LINES_KEPT = 20;

/**
 * Mender's rules (mender.md §3.4): names `<State>_<Enter|Leave|Error>_NN[_suffix]`, executable regular files only,
 * run in lexicographic order with no arguments; a `version` file, when present, must say 2 or 3.
 * Error actions run every script even after a failure (the caller ignores their result for the flow).
 */
export class ScriptRunner {
  constructor(
    private readonly platform: Platform,
    private readonly settings: ScriptSettings,
  ) {}

  /** The scripts of (state, action) in `dir` (device paths, run order). A missing dir has none. */
  async list(dir: string, state: string, action: ScriptAction): Promise<string[]> {
    const fs = this.platform.fs;
    if (!(await fs.exists(dir))) return [];
    const version = await fs.readText(`${dir}/version`);
    if (version !== undefined && !["2", "3"].includes(version.trim())) {
      throw new OtaError("OTA_ERR_SCRIPT_VERSION", `scripts dir ${dir}: version file says "${version.trim()}", expected 2 or 3`, {
        details: { dir, version: version.trim() },
      });
    }
    const pattern = new RegExp(`^${state}_${action}_[0-9][0-9](_\\S+)?$`);
    const names = (await fs.readdir(dir)).filter((n) => pattern.test(n)).sort();
    const out: string[] = [];
    for (const name of names) {
      const st = await fs.stat(`${dir}/${name}`);
      if (st?.isFile && (st.mode & 0o111) !== 0) out.push(`${dir}/${name}`);
    }
    return out;
  }

  /**
   * Runs the scripts of (state, action) from each dir in order (rootfs dir, then artifact dir, as given). Returns
   * the first failure as a value (never throws, except a platform halt); for Error actions every script still runs.
   */
  async run(dirs: readonly (string | undefined)[], state: string, action: ScriptAction, opts: ScriptRunOptions): Promise<OtaError | undefined> {
    let first: OtaError | undefined;
    for (const dir of dirs) {
      if (!dir) continue;
      let scripts: string[];
      try {
        scripts = await this.list(dir, state, action);
      } catch (err) {
        rethrowIfHalt(err);
        const e = asOtaError(err, "OTA_ERR_SCRIPT_FAILED", `${state}_${action}`);
        opts.note("error", e.message);
        if (action !== "Error") return e;
        first ??= e;
        continue;
      }
      for (const script of scripts) {
        const err = await this.runOne(script, opts);
        if (!err) continue;
        opts.note("error", err.message);
        if (action !== "Error") return err;
        first ??= err;
      }
    }
    return first;
  }

  private async runOne(script: string, opts: ScriptRunOptions): Promise<OtaError | undefined> {
    const name = script.slice(script.lastIndexOf("/") + 1);
    this.platform.checkpoint(`script:${name}`);
    const started = this.platform.clock.monotonic();
    for (;;) {
      let result;
      try {
        result = await this.platform.run(this.platform.path(script), [], {
          timeoutMs: this.settings.timeoutMs,
          signal: opts.signal,
          maxOutputBytes: 64 * 1024,
        });
      } catch (err) {
        rethrowIfHalt(err);
        return asOtaError(err, "OTA_ERR_SCRIPT_FAILED", `script ${name}`);
      }
      const stderr = result.stderr.split("\n").filter((l) => l.trim() !== "");
      for (const line of stderr.slice(-STDERR_LINES_KEPT)) opts.note("info", `${name}: ${line}`);
      if (result.timedOut) {
        return new OtaError("OTA_ERR_SCRIPT_TIMEOUT", `script ${name} did not finish within ${this.settings.timeoutMs} ms and was killed`, {
          details: { script },
        });
      }
      if (result.code === 0) return undefined;
      if (result.code === RETRY_LATER_EXIT) {
        const elapsed = this.platform.clock.monotonic() - started;
        if (elapsed + this.settings.retryIntervalMs > this.settings.retryTimeoutMs) {
          return new OtaError(
            "OTA_ERR_SCRIPT_RETRY_TIMEOUT",
            `script ${name} asked to retry later (exit 21) for ${elapsed} ms, beyond stateScripts.retryTimeoutMs ${this.settings.retryTimeoutMs}`,
            { details: { script } },
          );
        }
        opts.note("info", `${name}: retry later (exit 21); again in ${this.settings.retryIntervalMs} ms`);
        await this.platform.clock.sleep(this.settings.retryIntervalMs, opts.signal);
        continue;
      }
      return new OtaError("OTA_ERR_SCRIPT_FAILED", `script ${name} exited ${result.code ?? `on signal ${result.signal}`}`, {
        details: { script, exitCode: result.code, stderr: stderr.slice(-STDERR_LINES_KEPT) },
      });
    }
  }
}
