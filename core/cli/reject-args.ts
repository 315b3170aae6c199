// Usage check for commands that take no arguments of their own.
import { OtaError } from "../errors/ota-error.js";

/** Throws OTA_ERR_USAGE naming the first unexpected argument. */
export function rejectArgs(command: string, args: readonly string[]): void {
  if (args.length > 0) {
    throw new OtaError("OTA_ERR_USAGE", `${command}: unexpected argument ${args[0]} (see ota-agent ${command} --help)`, {
      details: { command, argument: args[0] },
    });
  }
}
