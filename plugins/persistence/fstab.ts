// Reads the mount points /etc/fstab already declares, so the generator never emits a unit fstab-generator also writes.
import type { FileSystem } from "../../core/capabilities/platform.js";

/** Decodes fstab's octal escapes ("\040" is a space). */
function unescapeFstab(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of /etc/fstab (swap and comment lines skipped), normalised without trailing slashes. */
export async function fstabMountPoints(fs: FileSystem, path = "/etc/fstab"): Promise<Set<string>> {
  const text = await fs.readText(path).catch(() => undefined);
  const points = new Set<string>();
  if (text === undefined) return points;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const where = fields[1];
    if (!where || !where.startsWith("/")) continue;
    const normal = `/${unescapeFstab(where).split("/").filter((p) => p !== "").join("/")}`;
    points.add(normal);
  }
  return points;
}
