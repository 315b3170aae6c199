// The contract of a core `ota-agent` subcommand (core/cli/commands/*.ts) and what the CLI hands it.
import type { CliIo } from "../capabilities/cli-command.js";
import type { Platform } from "../capabilities/platform.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { Logger } from "../logging/logger.js";
import type { Agent } from "../agent.js";
import type { GlobalOptions } from "./global-options.js";

/** Everything a core command may use; each piece is built on first use and cached for the invocation. */
export interface CommandContext {
  io: CliIo;
  globals: GlobalOptions;
  env: Readonly<Record<string, string | undefined>>;
  /** The effective config (file + overrides). Throws OTA_ERR_CONFIG_*. */
  config(): Promise<LoadedConfig>;
  /** The CLI's logger (stderr, so stdout stays the command's output; see CoreCommand.logToStdout). */
  logger(): Promise<Logger>;
  /** The Platform on the effective sysroot (or the one given to runCli). */
  platform(): Promise<Platform>;
  /** The agent with every plugin set up; the CLI closes it after the command returns. */
  agent(): Promise<Agent>;
}

export interface CoreCommand {
  readonly name: string;
  readonly summary: string;
  /** Shown by `ota-agent <name> --help`. */
  readonly usage: string;
  /** True when the command only reads (it then accepts --json). */
  readonly readOnly: boolean;
  /**
   * Hold the agent lock (`<dataDir>/agent.lock`) while the command runs, so it and the daemon or another install
   * exclude each other (OTA_ERR_LOCKED, exit 4). Default: `!readOnly`. Commands that first try a running daemon
   * (check-update) set false and take the lock themselves when they act alone.
   */
  readonly lock?: boolean;
  /** Log lines go to stdout instead of stderr (the daemon: journald collects stdout). */
  readonly logToStdout?: boolean;
  /** Returns the exit code (core/cli/exit-codes.ts); thrown OtaErrors are printed by the CLI with their code. */
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}

/** A registry line: name and summary for --help without importing the command. */
export interface CoreCommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CoreCommand>;
}
