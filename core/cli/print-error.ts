// Prints a failed command's error: `error OTA_ERR_X: message` on stderr, or one JSON object with --json.
import type { Writable } from "node:stream";
import { OtaError } from "../errors/ota-error.js";

export function printError(err: unknown, stderr: Writable, json: boolean): void {
  const error =
    err instanceof OtaError
      ? err
      : new OtaError("OTA_ERR_INTERNAL", err instanceof Error ? err.message : String(err), { cause: err });
  if (json) {
    stderr.write(JSON.stringify({ error: error.toJSON() }) + "\n");
  } else {
    stderr.write(`error ${error.code}: ${error.message}\n`);
  }
}
