// Runs `mender-inventory-*` executables in sorted order and merges their key=value lines (repeated keys → arrays).
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { parseKeyValueLines, type KeyValues } from "./key-value-lines.js";

/**
 * A missing directory yields nothing; a failing script is logged and its output dropped (the others still count),
 * matching the Mender client, which never fails an inventory round for one bad script.
 */
export async function runInventoryScripts(platform: Platform, dir: string, timeoutMs: number, log: Logger, signal?: AbortSignal): Promise<KeyValues> {
  const out: KeyValues = {};
  let names: string[];
  try {
    names = (await platform.fs.readdir(dir)).filter((n) => n.startsWith("mender-inventory-")).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    const stat = await platform.fs.stat(path);
    if (!stat?.isFile || (stat.mode & 0o111) === 0) continue;
    const result = await platform.run(platform.path(path), [], { timeoutMs, signal, maxOutputBytes: 256 * 1024 });
    if (result.code !== 0 || result.timedOut) {
      log.warn({ event: "server.inventory.script-failed", script: path, code: result.code, timedOut: result.timedOut }, "inventory script failed; its output is dropped");
      continue;
    }
    parseKeyValueLines(result.stdout, out);
  }
  return out;
}
