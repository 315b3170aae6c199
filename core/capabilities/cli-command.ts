// CliCommand: an `ota-agent` subcommand, contributed by core or by a plugin.
import type { Writable } from "node:stream";

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** True when stdout is a terminal (progress bars, colours). */
  isTty: boolean;
  /** True with --json: print one JSON document (or JSON lines for progress). */
  json: boolean;
}

/**
 * One subcommand. `run` returns the process exit code (see the CLI's documented codes); thrown OtaErrors are
 * printed by the CLI with their code.
 */
export interface CliCommand {
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Usage text shown by `ota-agent <name> --help`. */
  readonly usage: string;
  /** True when the command only reads (it then accepts --json). */
  readonly readOnly: boolean;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
