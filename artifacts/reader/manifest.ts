// Strict parsing of the `manifest` member: "<sha256 hex>  <path>\n" lines, each path once, final newline required.
import type { ManifestEntry } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";

/** Parses manifest text; `member` is "manifest" or "manifest-augment". */
export function parseManifest(bytes: Buffer, member: string): ManifestEntry[] {
  const text = bytes.toString("utf8");
  if (text.length === 0) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_INVALID", `${member}: empty`, { details: { member } });
  }
  if (!text.endsWith("\n")) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_INVALID", `${member}: the last line has no final newline`, { details: { member } });
  }
  const entries: ManifestEntry[] = [];
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (m === null) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_INVALID", `${member}: line ${i + 1} is not "<sha256>  <path>": ${JSON.stringify(line.slice(0, 120))}`, {
        details: { member, line: i + 1 },
      });
    }
    const path = m[2]!;
    if (seen.has(path)) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_INVALID", `${member}: ${path} is listed twice`, { details: { member, path } });
    }
    seen.add(path);
    entries.push({ path, sha256: m[1]! });
  });
  return entries;
}
