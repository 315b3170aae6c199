// Test helper: writes sparse disk-image files carrying a real GPT (protective MBR, primary + backup headers, CRC32s).
//
// API (stable; the simulated device uses it too):
//
//   const parts = await writeGptImage("/tmp/disk.img", {
//     sizeBytes: 64 * MiB,
//     partitions: [
//       { name: "bootconfig", sizeBytes: 4 * MiB, typeGuid: GPT_TYPE.fat },
//       { name: "boot_a", sizeBytes: 8 * MiB },            // startLba defaults to the next 1 MiB boundary
//       { name: "system_a", startLba: 40960, sizeBytes: 8 * MiB, typeGuid: GPT_TYPE.linux },
//     ],
//   });
//   parts[1] // { number: 2, name: "boot_a", startLba, endLba, offsetBytes, sizeBytes, typeGuid, uniqueGuid }
//
// The file is created (or truncated) to `sizeBytes` and only the table sectors are written, so images stay sparse.
// Sector size is 512. Partition numbers follow array order (1-based). `corruptGptHeader` damages one header for
// adversarial tests.
import { crc32 } from "node:zlib";
import { randomUUID } from "node:crypto";
import { open } from "node:fs/promises";

export const SECTOR = 512;
const ENTRY_COUNT = 128;
const ENTRY_SIZE = 128;
const ENTRY_SECTORS = (ENTRY_COUNT * ENTRY_SIZE) / SECTOR; // 32

/** Partition type GUIDs used by rpi-image-gen layouts. */
export const GPT_TYPE = {
  /** Microsoft basic data (FAT). */
  fat: "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
  /** Linux filesystem data. */
  linux: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
} as const;

export interface GptPartitionSpec {
  /** GPT partition name (PARTLABEL), at most 36 UTF-16 code units. */
  name: string;
  /** First sector; default: the next `alignBytes` boundary after the previous partition (or after the table). */
  startLba?: number;
  sizeBytes: number;
  /** Default: GPT_TYPE.linux. */
  typeGuid?: string;
  /** Default: random. */
  uniqueGuid?: string;
  /** Attribute bits (bit 2 = legacy BIOS bootable). Default 0. */
  attributes?: bigint;
}

export interface GptImageSpec {
  sizeBytes: number;
  partitions: readonly GptPartitionSpec[];
  /** Alignment for partitions without startLba. Default 1 MiB. */
  alignBytes?: number;
  /** Default: random. */
  diskGuid?: string;
}

export interface GptResolvedPartition {
  /** 1-based, the order in `partitions`. */
  number: number;
  name: string;
  startLba: number;
  /** Inclusive, as GPT stores it. */
  endLba: number;
  offsetBytes: number;
  sizeBytes: number;
  typeGuid: string;
  uniqueGuid: string;
}

/** GUID text → the 16-byte mixed-endian form GPT stores. */
export function guidToBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`gpt-image: bad GUID ${guid}`);
  const b = Buffer.from(hex, "hex");
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

function header(
  myLba: number,
  altLba: number,
  firstUsable: number,
  lastUsable: number,
  diskGuid: Buffer,
  entriesLba: number,
  entriesCrc: number,
): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.write("EFI PART", 0, "latin1");
  h.writeUInt32LE(0x00010000, 8);
  h.writeUInt32LE(92, 12);
  h.writeBigUInt64LE(BigInt(myLba), 24);
  h.writeBigUInt64LE(BigInt(altLba), 32);
  h.writeBigUInt64LE(BigInt(firstUsable), 40);
  h.writeBigUInt64LE(BigInt(lastUsable), 48);
  diskGuid.copy(h, 56);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(ENTRY_COUNT, 80);
  h.writeUInt32LE(ENTRY_SIZE, 84);
  h.writeUInt32LE(entriesCrc, 88);
  h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
  return h;
}

/** Creates (or replaces) a sparse disk image with a valid GPT and returns where each partition landed. */
export async function writeGptImage(path: string, spec: GptImageSpec): Promise<GptResolvedPartition[]> {
  if (spec.sizeBytes % SECTOR !== 0) throw new Error("gpt-image: sizeBytes must be a multiple of 512");
  const totalSectors = spec.sizeBytes / SECTOR;
  const lastLba = totalSectors - 1;
  const firstUsable = 2 + ENTRY_SECTORS;
  const lastUsable = lastLba - ENTRY_SECTORS - 1;
  const align = (spec.alignBytes ?? 1024 * 1024) / SECTOR;
  if (partsNeedTooMuch(spec, lastUsable)) throw new Error("gpt-image: partitions do not fit the disk");

  const resolved: GptResolvedPartition[] = [];
  const entries = Buffer.alloc(ENTRY_COUNT * ENTRY_SIZE);
  let next = firstUsable;
  spec.partitions.forEach((p, i) => {
    if (p.sizeBytes <= 0 || p.sizeBytes % SECTOR !== 0) throw new Error(`gpt-image: ${p.name}: bad size`);
    const start = p.startLba ?? Math.ceil(next / align) * align;
    const end = start + p.sizeBytes / SECTOR - 1;
    if (start < firstUsable || end > lastUsable) throw new Error(`gpt-image: ${p.name} lies outside the usable area`);
    const typeGuid = (p.typeGuid ?? GPT_TYPE.linux).toUpperCase();
    const uniqueGuid = (p.uniqueGuid ?? randomUUID()).toUpperCase();
    const e = entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
    guidToBytes(typeGuid).copy(e, 0);
    guidToBytes(uniqueGuid).copy(e, 16);
    e.writeBigUInt64LE(BigInt(start), 32);
    e.writeBigUInt64LE(BigInt(end), 40);
    e.writeBigUInt64LE(p.attributes ?? 0n, 48);
    const name = Buffer.from(p.name, "utf16le");
    if (name.length > 72) throw new Error(`gpt-image: name ${p.name} is longer than 36 characters`);
    name.copy(e, 56);
    resolved.push({
      number: i + 1,
      name: p.name,
      startLba: start,
      endLba: end,
      offsetBytes: start * SECTOR,
      sizeBytes: p.sizeBytes,
      typeGuid,
      uniqueGuid,
    });
    next = end + 1;
  });

  const diskGuid = guidToBytes(spec.diskGuid ?? randomUUID());
  const entriesCrc = crc32(entries);
  const primary = header(1, lastLba, firstUsable, lastUsable, diskGuid, 2, entriesCrc);
  const backup = header(lastLba, 1, firstUsable, lastUsable, diskGuid, lastLba - ENTRY_SECTORS, entriesCrc);

  const mbr = Buffer.alloc(SECTOR);
  // Protective MBR: one partition of type 0xEE covering the disk (capped at 32 bits), signature 55AA.
  mbr[446 + 1] = 0x00;
  mbr[446 + 2] = 0x02;
  mbr[446 + 4] = 0xee;
  mbr.fill(0xff, 446 + 5, 446 + 8);
  mbr.writeUInt32LE(1, 446 + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), 446 + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;

  const fh = await open(path, "w");
  try {
    await fh.truncate(spec.sizeBytes);
    await fh.write(mbr, 0, SECTOR, 0);
    await fh.write(primary, 0, SECTOR, SECTOR);
    await fh.write(entries, 0, entries.length, 2 * SECTOR);
    await fh.write(entries, 0, entries.length, (lastLba - ENTRY_SECTORS) * SECTOR);
    await fh.write(backup, 0, SECTOR, lastLba * SECTOR);
  } finally {
    await fh.close();
  }
  return resolved;
}

function partsNeedTooMuch(spec: GptImageSpec, lastUsable: number): boolean {
  const need = spec.partitions.reduce((n, p) => n + p.sizeBytes / SECTOR, 0);
  return need > lastUsable;
}

/**
 * Damages one GPT header in place (flips bytes of its signature area so the CRC no longer matches).
 * "primary" = LBA 1; "backup" = the last sector; "primary-entries" = the primary entry array (header intact).
 */
export async function corruptGptHeader(path: string, which: "primary" | "backup" | "primary-entries"): Promise<void> {
  const fh = await open(path, "r+");
  try {
    const size = (await fh.stat()).size;
    const pos = which === "primary" ? SECTOR + 40 : which === "backup" ? size - SECTOR + 40 : 2 * SECTOR + 60;
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, pos);
    for (let i = 0; i < 4; i++) b[i] = (b[i] ?? 0) ^ 0x5a;
    await fh.write(b, 0, 4, pos);
  } finally {
    await fh.close();
  }
}
