// Runs a filter tool (xz, zstd) as a child process: bytes in on stdin, out on stdout, with backpressure both ways.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { Readable } from "node:stream";

const found = new Map<string, string | null>();

/** Absolute path of `tool` on PATH, or null (cached per process). */
export function findTool(tool: string): string | null {
  const cached = found.get(tool);
  if (cached !== undefined) return cached;
  let hit: string | null = null;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      hit = candidate;
      break;
    } catch {
      // not here; keep looking
    }
  }
  found.set(tool, hit);
  return hit;
}

/**
 * Pipes `input` through `command args` and returns its stdout as a Readable. The output ends only after the child
 * exited 0, so a corrupt or truncated input surfaces as an error (with the tool's stderr) instead of a short stream.
 * Destroying the output kills the child and destroys the input.
 */
export function runFilter(command: string, args: string[], input: Readable, makeError: (msg: string, cause?: unknown) => Error): Readable {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let stdoutEnded = false;
  let failed = false;

  const out = new Readable({
    highWaterMark: 256 * 1024,
    read() {
      child.stdout.resume();
    },
    destroy(err, cb) {
      if (exit === undefined) child.kill("SIGKILL");
      input.destroy();
      cb(err);
    },
  });
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    out.destroy(err);
  };
  const maybeEnd = (): void => {
    if (!stdoutEnded || exit === undefined || failed) return;
    if (exit.code === 0) out.push(null);
    else fail(makeError(`${command} exited with ${exit.code ?? exit.signal}: ${stderr.trim().slice(0, 500)}`));
  };

  child.stdout.on("data", (chunk: Buffer) => {
    if (!out.push(chunk)) child.stdout.pause();
  });
  child.stdout.on("end", () => {
    stdoutEnded = true;
    maybeEnd();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  child.on("error", (err) => fail(makeError(`cannot run ${command}: ${err.message}`, err)));
  child.on("close", (code, signal) => {
    exit = { code, signal };
    maybeEnd();
  });
  // The child may exit early on bad input; the exit code reports that, so a broken pipe here is not the fault.
  child.stdin.on("error", () => undefined);
  input.on("error", (err) => fail(err));
  input.pipe(child.stdin);
  return out;
}
