// The installed artifact's name and provides: first-run initialisation and Mender's rules for updating them.
import type { Platform } from "../capabilities/platform.js";
import type { DownloadResult } from "../install/download-types.js";
import type { ProvidesRecord } from "./deployment-record.js";

/** `key=value` lines of an artifact_info file (Mender's /etc/mender/artifact_info); comments and blanks skipped. */
export function parseArtifactInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The provides of a device that never stored any: from the first artifact_info file found, else "unknown". */
export async function initialProvides(platform: Platform, files: readonly string[]): Promise<ProvidesRecord> {
  for (const file of files) {
    const text = await platform.fs.readText(file);
    if (text === undefined) continue;
    const info = parseArtifactInfo(text);
    const { artifact_name: name, artifact_group: group, ...rest } = info;
    const record: ProvidesRecord = { schemaVersion: 1, artifactName: name ?? "unknown", provides: rest };
    if (group) record.artifactGroup = group;
    return record;
  }
  return { schemaVersion: 1, artifactName: "unknown", provides: {} };
}

/** Glob of Mender's clears_artifact_provides: `*` matches any run of characters. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/**
 * Provides after a successful deployment (mender.md §1.8): no provides and no clears → drop everything; provides
 * without a clears field → replace everything; else delete keys matching a clears pattern, then add the new
 * provides. The name is the new artifact's; the group the new one, else the old one unless cleared.
 */
export function providesAfterSuccess(current: ProvidesRecord, result: DownloadResult): ProvidesRecord {
  const incoming = { ...result.provides };
  delete incoming.artifact_name;
  delete incoming.artifact_group;
  const hasProvides = Object.keys(incoming).length > 0;
  const hasClears = result.clearsProvides.length > 0;
  let kept: Record<string, string>;
  let groupCleared = false;
  if (!hasProvides && !hasClears) {
    kept = {};
    groupCleared = true;
  } else if (!hasClears) {
    kept = {};
    groupCleared = true;
  } else {
    const patterns = result.clearsProvides.map(globToRegExp);
    kept = Object.fromEntries(Object.entries(current.provides).filter(([k]) => !patterns.some((p) => p.test(k))));
    groupCleared = patterns.some((p) => p.test("artifact_group"));
  }
  const next: ProvidesRecord = { schemaVersion: 1, artifactName: result.artifactName, provides: { ...kept, ...incoming } };
  const group = result.artifactGroup ?? (groupCleared ? undefined : current.artifactGroup);
  if (group) next.artifactGroup = group;
  return next;
}

/** Provides after a failure whose rollback failed or was impossible: the name says so, nothing else changes. */
export function providesInconsistent(current: ProvidesRecord, artifactName: string, group?: string): ProvidesRecord {
  const next: ProvidesRecord = { ...current, artifactName: `${artifactName}_INCONSISTENT` };
  if (group) next.artifactGroup = group;
  return next;
}

/** The flat map servers and depends checks see: artifact_name, artifact_group and every other provide. */
export function flattenProvides(record: ProvidesRecord): Record<string, string> {
  const flat: Record<string, string> = { ...record.provides, artifact_name: record.artifactName };
  if (record.artifactGroup) flat.artifact_group = record.artifactGroup;
  return flat;
}
