// Runs external commands for the Platform: bounded output capture, timeout (SIGTERM then SIGKILL) and abort.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { RunOptions, RunResult } from "../capabilities/platform.js";
import { OtaError } from "../errors/index.js";

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
/** How long a child gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** Keeps the last `limit` bytes written to it; memory stays bounded however much a child prints. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * Spawns `command` without a shell and collects its output. Resolves for any exit (a non-zero code, a signal or
 * a timeout are values); rejects only with OTA_ERR_PROCESS_SPAWN when the command cannot start.
 * `cwd` is a host path here: the Platform maps device paths before calling.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const stdout = new TailBuffer(limit);
  const stderr = new TailBuffer(limit);

  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new Error("aborted"));
      return;
    }
    const env = options.env ? mergeEnv(process.env, options.env) : process.env;
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      // Its own process group, so a timeout also ends what a script started (a hung `sleep` behind `sh -c`).
      detached: true,
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    // Signals the whole group: the direct child may be gone while its children still hold the output pipes.
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const terminate = (): void => {
      if (settled) return;
      signalGroup("SIGTERM");
      killTimer ??= setTimeout(() => signalGroup("SIGKILL"), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, timeoutMs);
    const onAbort = (): void => terminate();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (): void => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
    };

    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    if (options.input !== undefined && child.stdin) {
      // A child that exits without reading its stdin makes the pipe fail with EPIPE: that is the child's choice.
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.input);
    }
    child.on("error", (err) => {
      if (settled) return;
      settled = true;
      finish();
      reject(
        new OtaError("OTA_ERR_PROCESS_SPAWN", `cannot start ${command}: ${err.message}`, {
          cause: err,
          details: { command, sysCode: (err as NodeJS.ErrnoException).code },
        }),
      );
    });
    child.on("close", (code, signal) => {
      if (settled) return;
      settled = true;
      finish();
      if (options.signal?.aborted && !timedOut) {
        reject(options.signal.reason ?? new Error("aborted"));
        return;
      }
      resolve({
        code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        durationMs: performance.now() - started,
      });
    });
  });
}

/** Throws OTA_ERR_PROCESS_TIMEOUT / OTA_ERR_PROCESS_FAILED unless the command exited 0. */
export function checkResult(command: string, args: readonly string[], result: RunResult): RunResult {
  const shown = [command, ...args].join(" ");
  const details = { command, args: [...args], code: result.code, signal: result.signal, stderr: tail(result.stderr) };
  if (result.timedOut) {
    throw new OtaError("OTA_ERR_PROCESS_TIMEOUT", `${shown}: did not finish in ${Math.round(result.durationMs)} ms`, {
      details,
    });
  }
  if (result.code !== 0) {
    const why = result.code === null ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const last = tail(result.stderr).trim();
    throw new OtaError("OTA_ERR_PROCESS_FAILED", `${shown}: ${why}${last ? `: ${last}` : ""}`, { details });
  }
  return result;
}

function tail(text: string, max = 2000): string {
  return text.length > max ? text.slice(text.length - max) : text;
}

function mergeEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
