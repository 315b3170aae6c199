// Finds Update Module v3 executables in the configured directories: one per payload type, first directory wins.
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";

/** A payload type is a file name in a module dir: no slashes, no dot-names, so it can never leave the dir. */
const TYPE_NAME = /^[\w\-.,]+$/;

export interface FoundModule {
  payloadType: string;
  /** Device path: `<dir>/<payloadType>`. */
  executable: string;
}

export async function discoverModules(
  platform: Platform,
  dirs: readonly string[],
  exclude: readonly string[],
  log: Logger,
): Promise<FoundModule[]> {
  const found = new Map<string, FoundModule>();
  for (const dir of dirs) {
    if (!dir.startsWith("/")) {
      log.warn({ event: "module.dir.relative", dir }, "module dir must be an absolute device path; ignored");
      continue;
    }
    let names: string[];
    try {
      names = (await platform.fs.readdir(dir)).sort();
    } catch {
      continue; // a missing dir is normal (no Mender modules installed)
    }
    for (const name of names) {
      if (!TYPE_NAME.test(name) || name.startsWith(".") || found.has(name) || exclude.includes(name)) continue;
      const executable = `${dir.replace(/\/+$/, "")}/${name}`;
      const stat = await platform.fs.stat(executable);
      if (!stat?.isFile || (stat.mode & 0o111) === 0) continue;
      found.set(name, { payloadType: name, executable });
    }
  }
  const modules = [...found.values()];
  log.debug({ event: "module.discovered", modules: modules.map((m) => m.executable) });
  return modules;
}
