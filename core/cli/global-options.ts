// Parses the options every `ota-agent` command accepts, wherever they appear before "--".
import { OtaError } from "../errors/ota-error.js";

export interface GlobalOptions {
  config?: string;
  sysroot?: string;
  json: boolean;
  pretty: boolean;
  logLevel?: string;
  help: boolean;
  version: boolean;
}

export interface ParsedCommandLine {
  globals: GlobalOptions;
  /** The subcommand, when one was given. */
  command?: string;
  /** Everything else, in order, for the subcommand. */
  args: string[];
}

const WITH_VALUE = { "--config": "config", "--sysroot": "sysroot", "--log-level": "logLevel" } as const;

/** Throws OTA_ERR_USAGE for a value option without its value. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const globals: GlobalOptions = { json: false, pretty: false, help: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if (flag in WITH_VALUE) {
      const key = WITH_VALUE[flag as keyof typeof WITH_VALUE];
      const value = eq > 0 && flag !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") {
        throw new OtaError("OTA_ERR_USAGE", `${flag} needs a value`, { details: { option: flag } });
      }
      globals[key] = value;
    } else if (arg === "--json") globals.json = true;
    else if (arg === "--pretty") globals.pretty = true;
    else if (arg === "--help" || arg === "-h") globals.help = true;
    else if (arg === "--version" || arg === "-V") globals.version = true;
    else rest.push(arg);
  }
  const commandIndex = rest.findIndex((arg) => !arg.startsWith("-"));
  if (commandIndex === -1 || rest[0] === "--") return { globals, args: rest };
  const [command] = rest.splice(commandIndex, 1);
  return { globals, command, args: rest };
}
