// Reads a GUID partition table (header + entry array, CRC32-checked) through the Platform, falling back to the backup.
import { crc32 } from "node:zlib";
import type { FileHandle, FileSystem } from "../../core/capabilities/platform.js";
import { readAt } from "../../core/io/read-at.js";
import { OtaError } from "../../core/errors/index.js";

export interface GptEntry {
  /** 1-based index in the entry array: the kernel's partition number. */
  number: number;
  /** PARTLABEL, as stored (UTF-16LE up to the first NUL). */
  name: string;
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  lastLba: number;
}

export interface GptTable {
  /** "primary" normally; "backup" when the primary header or its entries failed their checks. */
  source: "primary" | "backup";
  /** Why the primary was rejected, when `source` is "backup". */
  primaryFault?: string;
  /** Why the backup (at the LBA the primary names) is unusable, when the primary is fine: nothing left to fall back on. */
  backupFault?: string;
  sectorSize: number;
  diskGuid: string;
  /** Used entries only, in number order. */
  entries: GptEntry[];
}

/** Bounds every buffer: a damaged header must not make us allocate gigabytes. */
const MAX_ENTRY_BYTES = 1024 * 1024;
const SECTOR_SIZES = [512, 4096] as const;

function guidText(b: Buffer, at: number): string {
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, "0");
  return [
    hex(b.readUInt32LE(at), 8),
    hex(b.readUInt16LE(at + 4), 4),
    hex(b.readUInt16LE(at + 6), 4),
    b.subarray(at + 8, at + 10).toString("hex"),
    b.subarray(at + 10, at + 16).toString("hex"),
  ]
    .join("-")
    .toUpperCase();
}

function utf16Name(b: Buffer): string {
  let end = 0;
  while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
  return b.subarray(0, end).toString("utf16le");
}

/**
 * The backup header's LBA as a CRC-valid primary header records it (bytes 32..39), or undefined. An image written
 * to a larger card keeps its backup at the image's end, not the card's: the kernel tries this LBA too.
 */
async function alternateLba(fh: FileHandle, sectorSize: number, diskSectors: number): Promise<number | undefined> {
  const h = await readAt(fh, sectorSize, sectorSize);
  if (h.length < 92 || h.toString("latin1", 0, 8) !== "EFI PART") return undefined;
  const headerSize = h.readUInt32LE(12);
  if (headerSize < 92 || headerSize > sectorSize) return undefined;
  const copy = Buffer.from(h.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== h.readUInt32LE(16)) return undefined;
  const alt = Number(h.readBigUInt64LE(32));
  return alt > 1 && alt < diskSectors ? alt : undefined;
}

/** A header + entries candidate: the table or the reason it was rejected. */
async function tryHeader(
  fh: FileHandle,
  lba: number,
  sectorSize: number,
  diskSectors: number,
): Promise<GptTable | string> {
  const h = await readAt(fh, lba * sectorSize, sectorSize);
  if (h.length < 92) return `LBA ${lba}: short read`;
  if (h.toString("latin1", 0, 8) !== "EFI PART") return `LBA ${lba}: no "EFI PART" signature`;
  const headerSize = h.readUInt32LE(12);
  if (headerSize < 92 || headerSize > sectorSize) return `LBA ${lba}: header size ${headerSize} out of range`;
  const stored = h.readUInt32LE(16);
  const copy = Buffer.from(h.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== stored) return `LBA ${lba}: header CRC32 mismatch`;
  const myLba = Number(h.readBigUInt64LE(24));
  if (myLba !== lba) return `LBA ${lba}: header says it lives at LBA ${myLba}`;
  const entriesLba = Number(h.readBigUInt64LE(72));
  const count = h.readUInt32LE(80);
  const entrySize = h.readUInt32LE(84);
  if (entrySize < 128 || entrySize % 8 !== 0) return `LBA ${lba}: entry size ${entrySize} invalid`;
  if (count === 0 || count * entrySize > MAX_ENTRY_BYTES) return `LBA ${lba}: ${count} entries out of range`;
  const bytes = count * entrySize;
  if (entriesLba < 2 || entriesLba + Math.ceil(bytes / sectorSize) > diskSectors) {
    return `LBA ${lba}: entry array at LBA ${entriesLba} lies outside the disk`;
  }
  const arr = await readAt(fh, entriesLba * sectorSize, bytes);
  if (arr.length !== bytes) return `LBA ${lba}: entry array truncated`;
  if (crc32(arr) !== h.readUInt32LE(88)) return `LBA ${lba}: entry array CRC32 mismatch`;
  const entries: GptEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = arr.subarray(i * entrySize, i * entrySize + entrySize);
    if (e.subarray(0, 16).every((x) => x === 0)) continue;
    entries.push({
      number: i + 1,
      name: utf16Name(e.subarray(56, 128)),
      typeGuid: guidText(e, 0),
      uniqueGuid: guidText(e, 16),
      firstLba: Number(e.readBigUInt64LE(32)),
      lastLba: Number(e.readBigUInt64LE(40)),
    });
  }
  return { source: "primary", sectorSize, diskGuid: guidText(h, 56), entries };
}

/**
 * Reads the GPT of `device` (a device path: a block device, or a regular file standing in for one).
 * The primary header (LBA 1) wins when valid; otherwise the backup is used (at the LBA a CRC-valid primary header
 * names, else the last LBA) and `primaryFault` says why.
 * Both damaged → OTA_ERR_SLOT_GPT_INVALID; cannot open/read → OTA_ERR_SLOT_DISK_UNREADABLE.
 */
export async function readGptTable(fs: FileSystem, device: string): Promise<GptTable> {
  let fh: FileHandle;
  try {
    fh = await fs.open(device, "r");
  } catch (err) {
    throw new OtaError("OTA_ERR_SLOT_DISK_UNREADABLE", `cannot open boot disk ${device}: ${(err as Error).message}`, {
      cause: err,
      details: { device },
    });
  }
  try {
    const size = await fh.size();
    const faults: string[] = [];
    for (const sectorSize of SECTOR_SIZES) {
      const sectors = Math.floor(size / sectorSize);
      if (sectors < 3) continue;
      const primary = await tryHeader(fh, 1, sectorSize, sectors);
      if (typeof primary !== "string") {
        const alt = await alternateLba(fh, sectorSize, sectors);
        const check = alt === undefined ? "primary header names no backup LBA on the disk" : await tryHeader(fh, alt, sectorSize, sectors);
        return typeof check === "string" ? { ...primary, backupFault: check } : primary;
      }
      // The backup where the primary header says it is (its entries may be what failed), then the disk's last LBA.
      const alt = await alternateLba(fh, sectorSize, sectors);
      const backupFaults: string[] = [];
      for (const lba of new Set([...(alt === undefined ? [] : [alt]), sectors - 1])) {
        const backup = await tryHeader(fh, lba, sectorSize, sectors);
        if (typeof backup !== "string") return { ...backup, source: "backup", primaryFault: primary };
        backupFaults.push(backup);
      }
      const backup = backupFaults.join("; ");
      faults.push(`primary ${primary}; backup ${backup}`);
      // Only try a larger sector size when the primary has no signature at all at this one.
      if (!primary.includes("no \"EFI PART\"") || !backup.includes("no \"EFI PART\"")) break;
    }
    throw new OtaError(
      "OTA_ERR_SLOT_GPT_INVALID",
      `${device}: no valid GPT (${faults.join(" | ") || "disk too small"})`,
      { details: { device, faults } },
    );
  } catch (err) {
    if (err instanceof OtaError) throw err;
    throw new OtaError("OTA_ERR_SLOT_DISK_UNREADABLE", `cannot read ${device}: ${(err as Error).message}`, {
      cause: err,
      details: { device },
    });
  } finally {
    await fh.close();
  }
}
