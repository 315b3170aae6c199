// Test helper: one in-process ota-agent invocation with its stdout and stderr captured as text.
import { PassThrough } from "node:stream";
import { runCli, type RunCliOptions } from "../../core/cli/run-cli.js";

/** Runs `argv` (no terminal, empty environment unless given) and resolves with the exit code and the output. */
export async function runCliCaptured(
  argv: readonly string[],
  options: Omit<RunCliOptions, "stdout" | "stderr">,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await runCli(argv, { env: {}, isTty: false, ...options, stdout, stderr });
  return { code, out, err };
}
