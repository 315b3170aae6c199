// Finds a small file in the root directory of a raw FAT12/16/32 partition, to read it and rewrite it in place.
//
// Why in place: FAT has no atomic rename, and a rewrite that changes the file's length or clusters touches the FAT,
// the directory entry and the data in separate sectors. A same-length rewrite of a file that fits one sector touches
// exactly one sector (the directory entry keeps its size and cluster), which storage writes whole or not at all.
import type { FileSystem } from "../../core/capabilities/platform.js";
import { readAt } from "../../core/io/read-at.js";
import { OtaError } from "../../core/errors/index.js";

export interface FatRootFile {
  /** Byte offset of the file's first data byte on the partition. */
  dataOffset: number;
  /** Length from the directory entry. */
  size: number;
  /** Sector size of the file system. */
  sectorBytes: number;
  clusterBytes: number;
}

const MAX_ROOT_CLUSTERS = 64;

/** Looks `name` ("AUTOBOOT.TXT", 8.3, case-insensitive) up in the root directory; undefined when absent. */
export async function findFatRootFile(fs: FileSystem, device: string, name: string): Promise<FatRootFile | undefined> {
  const fh = await fs.open(device, "r");
  try {
    const bs = await readAt(fh, 0, 512);
    const bad = (why: string): OtaError =>
      new OtaError("OTA_ERR_BOOT_FAT_UNREADABLE", `${device} is not a FAT file system this agent can read: ${why}`, {
        details: { device },
      });
    if (bs[510] !== 0x55 || bs[511] !== 0xaa) throw bad("no boot-sector signature");
    const sectorBytes = bs.readUInt16LE(11);
    const secPerClus = bs[13] ?? 0;
    const reserved = bs.readUInt16LE(14);
    const fats = bs[16] ?? 0;
    const rootEntries = bs.readUInt16LE(17);
    const fatSectors = bs.readUInt16LE(22) || bs.readUInt32LE(36);
    if (![512, 1024, 2048, 4096].includes(sectorBytes) || secPerClus === 0 || fats === 0 || fatSectors === 0) {
      throw bad("implausible BIOS parameter block");
    }
    const clusterBytes = sectorBytes * secPerClus;
    const rootSectors = Math.ceil((rootEntries * 32) / sectorBytes);
    const firstData = (reserved + fats * fatSectors + rootSectors) * sectorBytes;
    const clusterOffset = (c: number): number => firstData + (c - 2) * clusterBytes;

    const target = shortName(name);
    const scan = (dir: Buffer): FatRootFile | "end" | undefined => {
      for (let off = 0; off + 32 <= dir.length; off += 32) {
        const first = dir[off];
        if (first === 0x00) return "end";
        const attr = dir[off + 11] ?? 0;
        if (first === 0xe5 || attr === 0x0f || (attr & 0x18) !== 0) continue; // deleted, long name, label, dir
        if (dir.toString("latin1", off, off + 11).toUpperCase() !== target) continue;
        const cluster = (dir.readUInt16LE(off + 20) << 16) | dir.readUInt16LE(off + 26);
        const size = dir.readUInt32LE(off + 28);
        if (cluster < 2 && size > 0) throw bad(`${name} has no data cluster`);
        return { dataOffset: clusterOffset(cluster), size, sectorBytes, clusterBytes };
      }
      return undefined;
    };

    if (rootEntries > 0) {
      const found = scan(await readAt(fh, (reserved + fats * fatSectors) * sectorBytes, rootEntries * 32));
      return found === "end" ? undefined : found;
    }
    // FAT32: the root directory is a cluster chain starting at BPB_RootClus.
    let cluster = bs.readUInt32LE(44);
    for (let i = 0; i < MAX_ROOT_CLUSTERS && cluster >= 2 && cluster < 0x0ffffff8; i++) {
      const found = scan(await readAt(fh, clusterOffset(cluster), clusterBytes));
      if (found === "end") return undefined;
      if (found) return found;
      cluster = (await readAt(fh, reserved * sectorBytes + cluster * 4, 4)).readUInt32LE(0) & 0x0fffffff;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Reads the file's content (it must fit one cluster, as autoboot.txt's 512 bytes do). */
export async function readFatRootFile(fs: FileSystem, device: string, file: FatRootFile): Promise<Buffer> {
  const fh = await fs.open(device, "r");
  try {
    return await readAt(fh, file.dataOffset, Math.min(file.size, file.clusterBytes));
  } finally {
    await fh.close();
  }
}

/**
 * Overwrites the file's bytes in place with `content` of exactly `file.size` bytes, as whole sectors, then syncs.
 * With size ≤ one sector this is a single-sector write.
 */
export async function overwriteFatRootFile(fs: FileSystem, device: string, file: FatRootFile, content: Buffer): Promise<void> {
  if (content.length !== file.size || file.size > file.clusterBytes) {
    throw new OtaError("OTA_ERR_INTERNAL", `in-place FAT write of ${content.length} bytes into a ${file.size}-byte file`);
  }
  const sectors = Math.max(1, Math.ceil(file.size / file.sectorBytes));
  const fh = await fs.open(device, "r+");
  try {
    const buf = await readAt(fh, file.dataOffset, sectors * file.sectorBytes);
    content.copy(buf, 0);
    let done = 0;
    while (done < buf.length) done += await fh.write(buf, done, buf.length - done, file.dataOffset + done);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** "autoboot.txt" → "AUTOBOOTTXT" (the 11-byte 8.3 directory name). */
function shortName(name: string): string {
  const dot = name.lastIndexOf(".");
  const base = (dot < 0 ? name : name.slice(0, dot)).toUpperCase();
  const ext = (dot < 0 ? "" : name.slice(dot + 1)).toUpperCase();
  return base.padEnd(8, " ").slice(0, 8) + ext.padEnd(3, " ").slice(0, 3);
}
