// Last-line checks on a resolved slot layout: no partition shared between slots, and by-slot links agree with it.
import type { FileSystem } from "../capabilities/platform.js";
import type { SlotLayout } from "../capabilities/slot-resolver.js";
import { OtaError } from "../errors/index.js";

export const BY_SLOT = "/dev/disk/by-slot";

async function canonical(fs: FileSystem, path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch {
    return path;
  }
}

/**
 * Invariant: the other slot never names a partition of the active slot (by device path, by what the path resolves
 * to, and by boot partition number), and bootconfig/persistent are none of the four slot partitions.
 */
export async function assertNoOverlap(fs: FileSystem, layout: SlotLayout): Promise<void> {
  const roles: [string, string | undefined][] = [
    ["active boot", layout.active.boot],
    ["active system", layout.active.system],
    ["other boot", layout.other.boot],
    ["other system", layout.other.system],
    ["bootconfig", layout.bootconfig],
    ["persistent", layout.persistent],
  ];
  const seen = new Map<string, string>();
  for (const [role, dev] of roles) {
    if (dev === undefined) continue;
    for (const key of new Set([dev, await canonical(fs, dev)])) {
      const prev = seen.get(key);
      if (prev !== undefined) {
        throw new OtaError("OTA_ERR_SLOT_OVERLAP", `${role} and ${prev} are the same partition (${key})`, {
          details: { roles: [prev, role], device: key },
        });
      }
      seen.set(key, role);
    }
  }
  if (layout.active.bootPartition === layout.other.bootPartition || layout.active.slot === layout.other.slot) {
    throw new OtaError(
      "OTA_ERR_SLOT_OVERLAP",
      `active and other slot both use boot partition ${layout.active.bootPartition}`,
      { details: { active: layout.active, other: layout.other } },
    );
  }
}

/**
 * Where /dev/disk/by-slot links exist, each must resolve to the device the table gave for that role. A link for a
 * role the table did not fill is a disagreement too. Missing links are fine (the agent may run before udev).
 */
export async function crossCheckBySlotLinks(fs: FileSystem, layout: SlotLayout): Promise<void> {
  const expected: [string, string | undefined][] = [
    ["active/boot", layout.active.boot],
    ["active/system", layout.active.system],
    ["other/boot", layout.other.boot],
    ["other/system", layout.other.system],
    ["bootconfig", layout.bootconfig],
    ["persistent", layout.persistent],
  ];
  for (const [name, device] of expected) {
    const link = `${BY_SLOT}/${name}`;
    if ((await fs.lstat(link)) === undefined) continue;
    let target: string;
    try {
      target = await fs.realpath(link);
    } catch (err) {
      throw new OtaError("OTA_ERR_SLOT_LINK_MISMATCH", `${link} is dangling`, { cause: err, details: { link } });
    }
    if (device === undefined) {
      throw new OtaError(
        "OTA_ERR_SLOT_LINK_MISMATCH",
        `${link} points at ${target}, but the partition table has no ${name} partition`,
        { details: { link, target } },
      );
    }
    const want = await canonical(fs, device);
    if (target !== want) {
      throw new OtaError(
        "OTA_ERR_SLOT_LINK_MISMATCH",
        `${link} points at ${target}, but the partition table says ${device}${want !== device ? ` (${want})` : ""}`,
        { details: { link, target, expected: device } },
      );
    }
  }
}
