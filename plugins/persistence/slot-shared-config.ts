// Reads rpi-image-gen's slot-shared declarations (/etc/rpi-image-gen/slot-shared.d/*.conf, Version=1, Path= lines).
import type { FileSystem } from "../../core/capabilities/platform.js";

export const SLOT_SHARED_DIR = "/etc/rpi-image-gen/slot-shared.d";

export interface SlotSharedPaths {
  /** Absolute, normalised directories, deduplicated, in file-name then line order. */
  paths: string[];
  /** Files skipped, with why (a wrong Version is skipped at runtime, like rpi-image-gen does). */
  skipped: { file: string; reason: string }[];
}

/** Normalises a Path= value: leading "/" added (as rpi-image-gen does), duplicate and trailing slashes dropped. */
export function normaliseSharedPath(raw: string): string {
  const parts = raw.trim().split("/").filter((part) => part !== "" && part !== ".");
  return `/${parts.join("/")}`;
}

/** Parses one declaration file's text. */
export function parseSlotSharedFile(text: string): { version?: string; paths: string[] } {
  let version: string | undefined;
  const paths: string[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "Version") version = value;
    else if (key === "Path" && value !== "") paths.push(normaliseSharedPath(value));
    // unknown keys are ignored, as the convention says
  }
  return { version, paths };
}

/** Reads every `*.conf` in the declaration directory (missing directory → no paths). */
export async function readSlotSharedPaths(fs: FileSystem, dir = SLOT_SHARED_DIR): Promise<SlotSharedPaths> {
  const result: SlotSharedPaths = { paths: [], skipped: [] };
  if (!(await fs.exists(dir))) return result;
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith(".conf")).sort();
  for (const name of names) {
    const file = `${dir}/${name}`;
    const text = await fs.readText(file);
    if (text === undefined) continue;
    const parsed = parseSlotSharedFile(text);
    if (parsed.version !== "1") {
      result.skipped.push({ file, reason: `Version=${parsed.version ?? "(missing)"}, only 1 is understood` });
      continue;
    }
    for (const path of parsed.paths) {
      if (path === "/") {
        result.skipped.push({ file, reason: "Path=/ cannot be shared" });
      } else if (!result.paths.includes(path)) result.paths.push(path);
    }
  }
  return result;
}
