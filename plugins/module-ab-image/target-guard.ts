// Refuses an install target that is, after resolving symlinks, the same device or file as a running-slot partition or the boot disk.
import type { FileStat, Platform } from "../../core/capabilities/platform.js";
import type { SlotLayout } from "../../core/capabilities/slot-resolver.js";
import { OtaError } from "../../core/errors/index.js";

/** Device identity: rdev for block devices (major:minor), (dev, ino) for regular files in a sysroot. */
function sameIdentity(a: FileStat, b: FileStat): boolean {
  if (a.isBlockDevice && b.isBlockDevice) return a.rdev === b.rdev;
  if (a.isBlockDevice !== b.isBlockDevice) return false;
  return a.dev === b.dev && a.ino === b.ino;
}

export interface ResolvedTarget {
  /** The device path as configured (e.g. /dev/disk/by-slot/other/system). */
  path: string;
  /** Where its symlinks end. */
  realPath: string;
  stat: FileStat;
}

/**
 * Resolves `target` and checks it against every partition of the active slot by identity, never by name: two
 * different paths (by-slot link, by-partlabel link, /dev/mmcblk0p3) may name one device. Throws
 * OTA_ERR_INSTALL_ACTIVE_SLOT before anything is opened for writing, OTA_ERR_INSTALL_TARGET when missing.
 */
export async function guardTarget(platform: Platform, layout: SlotLayout, target: string): Promise<ResolvedTarget> {
  let realPath: string;
  try {
    realPath = await platform.fs.realpath(target);
  } catch (err) {
    throw new OtaError("OTA_ERR_INSTALL_TARGET", `${target}: cannot resolve the install target`, {
      cause: err,
      details: { target },
    });
  }
  const stat = await platform.fs.stat(realPath);
  if (!stat || !(stat.isBlockDevice || stat.isFile)) {
    throw new OtaError("OTA_ERR_INSTALL_TARGET", `${target}: not a block device or file (${realPath})`, {
      details: { target, realPath },
    });
  }
  for (const active of [layout.active.boot, layout.active.system]) {
    const activeStat = await platform.fs.stat(active);
    if (activeStat && sameIdentity(stat, activeStat)) {
      throw new OtaError(
        "OTA_ERR_INSTALL_ACTIVE_SLOT",
        `${target} resolves to ${realPath}, which is ${active} of the running slot ${layout.active.slot}: refusing to write it`,
        { details: { target, realPath, active, activeSlot: layout.active.slot } },
      );
    }
  }
  // the whole boot disk holds the running slot too: a link pointing at it would overwrite the partition table
  const disk = await platform.fs.stat(layout.bootDisk).catch(() => undefined);
  if (disk && sameIdentity(stat, disk)) {
    throw new OtaError(
      "OTA_ERR_INSTALL_ACTIVE_SLOT",
      `${target} resolves to ${realPath}, which is the whole boot disk ${layout.bootDisk} holding the running slot ${layout.active.slot}: refusing to write it`,
      { details: { target, realPath, bootDisk: layout.bootDisk, activeSlot: layout.active.slot } },
    );
  }
  return { path: target, realPath, stat };
}
