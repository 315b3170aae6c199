// Public surface of the command line.
export { runCli, type RunCliOptions } from "./run-cli.js";
export { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.js";
export type { CoreCommand, CoreCommandEntry, CommandContext } from "./core-command.js";
