// Creates a v3 module's file tree (version, current_*, header/, tmp/) exactly as Mender's client lays it out.
import type { Platform } from "../../core/capabilities/platform.js";
import type { ModuleContext } from "../../core/capabilities/update-module.js";

/** JSON with keys sorted case-insensitively and 2-space indentation, like the 4.x client re-serialises it. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0,
      );
      return Object.fromEntries(entries.map(([k, x]) => [k, sort(x)]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/** Device path of the tree of this payload: `<workDir>/tree` (workDir is already per payload). */
export function treeDir(ctx: ModuleContext): string {
  return `${ctx.workDir}/tree`;
}

/** Deletes any old tree and writes a fresh one; the tree survives reboots with the work dir. */
export async function createTree(platform: Platform, ctx: ModuleContext): Promise<string> {
  const fs = platform.fs;
  const tree = treeDir(ctx);
  await fs.rm(tree, { recursive: true, force: true });
  await fs.mkdir(`${tree}/header`, { recursive: true });
  await fs.mkdir(`${tree}/tmp`, { recursive: true });
  const line = (v: string | undefined): string => (v ? `${v}\n` : "");
  const headerInfo = ctx.header.headerInfo;
  const provides = (headerInfo.artifact_provides ?? {}) as Record<string, unknown>;
  const group = typeof provides.artifact_group === "string" ? provides.artifact_group : "";
  const metaData = ctx.header.metaData;
  const files: [string, string][] = [
    ["version", "3\n"],
    ["current_artifact_name", line(ctx.currentProvides.artifact_name)],
    ["current_artifact_group", line(ctx.currentProvides.artifact_group)],
    ["current_device_type", line(ctx.currentDeviceType)],
    ["header/artifact_name", ctx.artifactName],
    ["header/artifact_group", group],
    ["header/payload_type", ctx.payloadType],
    ["header/header-info", sortedJson(headerInfo)],
    ["header/type-info", sortedJson(ctx.header.typeInfo)],
    ["header/meta-data", Object.keys(metaData).length === 0 ? "null" : sortedJson(metaData)],
  ];
  for (const [name, content] of files) await fs.writeFile(`${tree}/${name}`, content);
  await fs.fsyncDir(`${tree}/header`);
  await fs.fsyncDir(tree);
  return tree;
}
