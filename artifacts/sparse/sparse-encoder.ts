// Android sparse image encoder (for tests and ota-artifact): raw image file → sparse stream, zero blocks optional DONT_CARE.
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { ArtifactError } from "../errors.js";
import { CHUNK_DONT_CARE, CHUNK_FILL, CHUNK_RAW, SPARSE_MAGIC } from "./sparse-image.js";

/** Encoder options. */
export interface SparseEncodeOptions {
  /** Block size (multiple of 4). Default 4096 (genimage's default). */
  blockSize?: number;
  /** Emit all-zero blocks as DONT_CARE (true, default) or as FILL with a zero pattern (false). */
  dontCareZeros?: boolean;
}

/** The encoded stream, with its exact byte size known up front (tar headers need it). */
export type SparseEncodedStream = Readable & { encodedSize: number };

interface Run {
  type: number;
  blocks: number;
  /** Byte offset of the first block in the input (raw runs). */
  offset: number;
  pattern?: number;
}

function classify(block: Buffer): { fill: number } | null {
  const w = block.readUInt32LE(0);
  for (let i = 4; i < block.length; i += 4) if (block.readUInt32LE(i) !== w) return null;
  return { fill: w };
}

/**
 * Encodes the raw image at `path` into sparse format. Two passes over the file (the header needs the chunk count):
 * memory holds one block plus the run list. A final partial block is zero-padded, as genimage does.
 */
export async function encodeSparseFile(path: string, options: SparseEncodeOptions = {}): Promise<SparseEncodedStream> {
  const blockSize = options.blockSize ?? 4096;
  const dontCare = options.dontCareZeros ?? true;
  if (blockSize <= 0 || blockSize % 4 !== 0) throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `sparse block size ${blockSize} is not a positive multiple of 4`);
  const fh = await open(path, "r");
  const runs: Run[] = [];
  let totalBlocks = 0;
  try {
    const size = (await fh.stat()).size;
    totalBlocks = Math.ceil(size / blockSize);
    const buf = Buffer.alloc(blockSize);
    for (let b = 0; b < totalBlocks; b++) {
      buf.fill(0);
      await fh.read(buf, 0, blockSize, b * blockSize);
      const fill = classify(buf);
      const type = fill === null ? CHUNK_RAW : fill.fill === 0 && dontCare ? CHUNK_DONT_CARE : CHUNK_FILL;
      const last = runs[runs.length - 1];
      if (last !== undefined && last.type === type && (type !== CHUNK_FILL || last.pattern === fill?.fill)) last.blocks++;
      else runs.push({ type, blocks: 1, offset: b * blockSize, ...(type === CHUNK_FILL ? { pattern: fill!.fill } : {}) });
    }
  } catch (err) {
    await fh.close();
    throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }

  async function* emit(): AsyncGenerator<Buffer> {
    try {
      const head = Buffer.alloc(28);
      head.writeUInt32LE(SPARSE_MAGIC, 0);
      head.writeUInt16LE(1, 4);
      head.writeUInt16LE(0, 6);
      head.writeUInt16LE(28, 8);
      head.writeUInt16LE(12, 10);
      head.writeUInt32LE(blockSize, 12);
      head.writeUInt32LE(totalBlocks, 16);
      head.writeUInt32LE(runs.length, 20);
      head.writeUInt32LE(0, 24);
      yield head;
      for (const run of runs) {
        const ch = Buffer.alloc(12);
        ch.writeUInt16LE(run.type, 0);
        ch.writeUInt32LE(run.blocks, 4);
        const dataSz = run.type === CHUNK_RAW ? run.blocks * blockSize : run.type === CHUNK_FILL ? 4 : 0;
        ch.writeUInt32LE(12 + dataSz, 8);
        yield ch;
        if (run.type === CHUNK_FILL) {
          const p = Buffer.alloc(4);
          p.writeUInt32LE(run.pattern! >>> 0, 0);
          yield p;
        } else if (run.type === CHUNK_RAW) {
          let left = dataSz;
          let pos = run.offset;
          while (left > 0) {
            const n = Math.min(left, 1024 * 1024);
            const buf = Buffer.alloc(n);
            await fh.read(buf, 0, n, pos);
            yield buf;
            left -= n;
            pos += n;
          }
        }
      }
    } finally {
      await fh.close();
    }
  }
  const encodedSize = runs.reduce((n, r) => n + 12 + (r.type === CHUNK_RAW ? r.blocks * blockSize : r.type === CHUNK_FILL ? 4 : 0), 28);
  const stream = Readable.from(emit(), { objectMode: false });
  // Destroyed before its first read, the generator never starts and its finally never runs: close the file here too
  // (a second close is harmless).
  stream.once("close", () => {
    fh.close().catch(() => undefined);
  });
  return Object.assign(stream, { encodedSize });
}

/** Encodes an in-memory image (tests). */
export async function encodeSparseBuffer(image: Buffer, options: SparseEncodeOptions = {}): Promise<Buffer> {
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "ota-sparse-"));
  try {
    await writeFile(join(dir, "img"), image);
    const parts: Buffer[] = [];
    for await (const c of await encodeSparseFile(join(dir, "img"), options)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
