// Streaming Android sparse image decoder: header (with the expanded size) first, then raw/fill/skip ranges in order.
import type { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { ArtifactError } from "../errors.js";
import { crc32Combine, crc32Repeat } from "./crc32-combine.js";
import { ByteReader } from "../tar/byte-reader.js";

export const SPARSE_MAGIC = 0xed26ff3a;
export const CHUNK_RAW = 0xcac1;
export const CHUNK_FILL = 0xcac2;
export const CHUNK_DONT_CARE = 0xcac3;
export const CHUNK_CRC32 = 0xcac4;
const FILE_HEADER = 28;
const CHUNK_HEADER = 12;
/** Largest `data` Buffer a raw range carries: memory stays bounded whatever the chunk size. */
const MAX_RAW_SLICE = 1024 * 1024;

/** One range of the expanded image, in ascending offset order. */
export type SparseRange =
  | { kind: "raw"; offset: number; data: Buffer }
  | { kind: "fill"; offset: number; length: number; pattern: Buffer }
  | { kind: "skip"; offset: number; length: number };

/** An opened sparse image: sizes known before any range is produced. */
export interface SparseImage {
  blockSize: number;
  totalBlocks: number;
  totalChunks: number;
  /** blockSize × totalBlocks: refuse an image larger than its partition before writing anything. */
  expandedSize: number;
  /** The ranges; single pass. Throws OTA_ERR_ARTIFACT_SPARSE_* on bad chunks or CRC mismatch. */
  ranges(): AsyncGenerator<SparseRange>;
}

/** True when `head` (≥ 4 bytes) starts with the sparse magic. */
export function isSparseImage(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === SPARSE_MAGIC;
}

function bad(label: string, msg: string): ArtifactError {
  return new ArtifactError("OTA_ERR_ARTIFACT_SPARSE_INVALID", `${label}: ${msg}`, { details: { member: label } });
}

/**
 * Reads a sparse image from `input`. CRC32 chunks are checked against the CRC of the expanded data before them
 * (DONT_CARE counts as zeros, as simg2img writes them). `label` names the input in errors.
 */
export async function openSparseImage(input: Readable | AsyncIterable<Buffer>, label = "sparse image"): Promise<SparseImage> {
  const iterable = input as AsyncIterable<Buffer>;
  const bytes = new ByteReader(iterable[Symbol.asyncIterator]());
  const head = await bytes.readExact(FILE_HEADER);
  if (head.length < FILE_HEADER) throw new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", `${label}: ends inside the sparse header`, { details: { member: label } });
  if (head.readUInt32LE(0) !== SPARSE_MAGIC) throw bad(label, "no Android sparse magic");
  const major = head.readUInt16LE(4);
  const fileHdr = head.readUInt16LE(8);
  const chunkHdr = head.readUInt16LE(10);
  const blockSize = head.readUInt32LE(12);
  const totalBlocks = head.readUInt32LE(16);
  const totalChunks = head.readUInt32LE(20);
  if (major !== 1) throw bad(label, `unsupported major version ${major}`);
  if (fileHdr < FILE_HEADER || chunkHdr < CHUNK_HEADER || fileHdr > 4096 || chunkHdr > 4096) throw bad(label, "bad header sizes");
  if (blockSize === 0 || blockSize % 4 !== 0 || blockSize > 64 * 1024 * 1024) throw bad(label, `bad block size ${blockSize}`);
  if (fileHdr > FILE_HEADER && (await bytes.skip(fileHdr - FILE_HEADER)) < fileHdr - FILE_HEADER) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", `${label}: ends inside the sparse header`, { details: { member: label } });
  }
  const expandedSize = blockSize * totalBlocks;
  if (!Number.isSafeInteger(expandedSize)) throw bad(label, `expanded size ${blockSize} × ${totalBlocks} is out of range`);
  let used = false;

  async function* ranges(): AsyncGenerator<SparseRange> {
    if (used) throw bad(label, "ranges() can be iterated only once");
    used = true;
    let block = 0;
    let crc = 0;
    const truncated = (): ArtifactError =>
      new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", `${label}: ends inside chunk data`, { details: { member: label } });
    for (let chunk = 0; chunk < totalChunks; chunk++) {
      const ch = await bytes.readExact(chunkHdr);
      if (ch.length < chunkHdr) throw truncated();
      const type = ch.readUInt16LE(0);
      const blocks = ch.readUInt32LE(4);
      const totalSz = ch.readUInt32LE(8);
      const dataSz = totalSz - chunkHdr;
      const offset = block * blockSize;
      if (block + blocks > totalBlocks) throw bad(label, `chunk ${chunk} runs past the ${totalBlocks} declared blocks`);
      switch (type) {
        case CHUNK_RAW: {
          if (dataSz !== blocks * blockSize) throw bad(label, `raw chunk ${chunk} has ${dataSz} data bytes for ${blocks} blocks`);
          let left = dataSz;
          let at = offset;
          while (left > 0) {
            const part = await bytes.readExact(Math.min(left, MAX_RAW_SLICE));
            if (part.length === 0) throw truncated();
            crc = crc32(part, crc);
            yield { kind: "raw", offset: at, data: part };
            if (part.length < Math.min(left, MAX_RAW_SLICE)) throw truncated();
            at += part.length;
            left -= part.length;
          }
          break;
        }
        case CHUNK_FILL: {
          if (dataSz !== 4) throw bad(label, `fill chunk ${chunk} has ${dataSz} data bytes, expected 4`);
          const pattern = await bytes.readExact(4);
          if (pattern.length < 4) throw truncated();
          const copy = Buffer.from(pattern);
          // Combined, not computed over the bytes: a run may span gigabytes (or be hostile).
          if (blocks > 0) crc = crc32Combine(crc, crc32Repeat(crc32(Buffer.alloc(blockSize, copy)), blockSize, blocks), blocks * blockSize);
          yield { kind: "fill", offset, length: blocks * blockSize, pattern: copy };
          break;
        }
        case CHUNK_DONT_CARE: {
          if (dataSz !== 0) throw bad(label, `don't-care chunk ${chunk} carries ${dataSz} data bytes`);
          if (blocks > 0) crc = crc32Combine(crc, crc32Repeat(crc32(Buffer.alloc(blockSize)), blockSize, blocks), blocks * blockSize);
          yield { kind: "skip", offset, length: blocks * blockSize };
          break;
        }
        case CHUNK_CRC32: {
          if (dataSz !== 4) throw bad(label, `crc32 chunk ${chunk} has ${dataSz} data bytes, expected 4`);
          const v = await bytes.readExact(4);
          if (v.length < 4) throw truncated();
          if (v.readUInt32LE(0) !== crc) {
            throw new ArtifactError("OTA_ERR_ARTIFACT_SPARSE_CRC_MISMATCH", `${label}: CRC32 chunk ${chunk} expects ${v.readUInt32LE(0).toString(16)}, data gives ${crc.toString(16)}`, {
              details: { member: label, chunk },
            });
          }
          break;
        }
        default:
          throw bad(label, `chunk ${chunk} has unknown type 0x${type.toString(16)}`);
      }
      block += blocks;
    }
    if (block !== totalBlocks) throw bad(label, `chunks cover ${block} blocks, header declares ${totalBlocks}`);
    if (!(await bytes.atEof())) throw bad(label, "data after the last chunk");
  }

  return { blockSize, totalBlocks, totalChunks, expandedSize, ranges };
}
