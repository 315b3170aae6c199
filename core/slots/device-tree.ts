// Reads the Raspberry Pi firmware's /proc/device-tree/chosen/bootloader node through the Platform: boot disk and booted partition.
import type { FileSystem } from "../capabilities/platform.js";
import { OtaError } from "../errors/index.js";

export const DT_BOOTLOADER = "/proc/device-tree/chosen/bootloader";

/** boot-mode values rpi-image-gen's slot mapper supports, and the disk each boots from. */
const BOOT_DISKS: Readonly<Record<number, string>> = { 1: "mmcblk0", 6: "nvme0n1" };

export interface BootloaderDt {
  bootMode: number;
  /** Kernel name of the boot disk ("mmcblk0"). */
  diskName: string;
  /** Device path of the boot disk ("/dev/mmcblk0"). */
  disk: string;
  /** The partition the firmware booted (during a tryboot: the trial partition). */
  partition: number;
}

/** A big-endian u32 property, read like the helpers' `od -An -tu1 -N4` (first four bytes). */
export async function readDtU32(fs: FileSystem, name: string): Promise<number> {
  const path = `${DT_BOOTLOADER}/${name}`;
  let raw: Buffer;
  try {
    raw = await fs.readFile(path);
  } catch (err) {
    throw new OtaError("OTA_ERR_SLOT_DT_MISSING", `device-tree property ${path} is missing`, {
      cause: err,
      details: { path },
    });
  }
  if (raw.length < 4) {
    throw new OtaError("OTA_ERR_SLOT_DT_MISSING", `device-tree property ${path} has ${raw.length} bytes, not a u32`, {
      details: { path, length: raw.length },
    });
  }
  return raw.readUInt32BE(0);
}

export async function readBootloaderDt(fs: FileSystem): Promise<BootloaderDt> {
  const bootMode = await readDtU32(fs, "boot-mode");
  const diskName = BOOT_DISKS[bootMode];
  if (diskName === undefined) {
    throw new OtaError(
      "OTA_ERR_SLOT_BOOT_MODE_UNSUPPORTED",
      `boot-mode ${bootMode} is not supported (only 1 = SD/eMMC and 6 = NVMe carry an A/B slot layout)`,
      { details: { bootMode } },
    );
  }
  const partition = await readDtU32(fs, "partition");
  return { bootMode, diskName, disk: `/dev/${diskName}`, partition };
}
