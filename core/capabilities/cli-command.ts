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
  /** The subcommand word (`ota-agent <name>`); unique across core and plugins (a clash is OTA_ERR_PLUGIN_CONFLICT). */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Usage text shown by `ota-agent <name> --help`. */
  readonly usage: string;
  /** True when the command only reads (it then accepts --json). */
  readonly readOnly: boolean;
  /**
   * Runs with the arguments after the command name (global options already removed). Returns the exit code
   * (0 ok, 1 failure, 2 usage, 3 nothing to do, 4 locked: core/cli/exit-codes.ts); may throw OtaErrors instead.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
