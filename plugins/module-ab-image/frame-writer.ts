// Writes an image into a target in aligned frames: read-compare-write, a small buffer pool so decoding and I/O overlap.
import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "../../core/capabilities/platform.js";
import { OtaError } from "../../core/errors/index.js";

export interface FrameStats {
  /** Frames written because they differed (or read-compare-write is off). */
  written: number;
  /** Frames left alone because the target already held the same bytes. */
  unchanged: number;
  /** Bytes of image content placed (raw + fill; skipped DONT_CARE ranges excluded). */
  bytes: number;
}

/**
 * Invariants: every byte handed in lands at its offset exactly once; at most depth + 1 frame buffers (plus one
 * compare buffer) exist whatever the image size; frames are written one at a time in offset order; a frame never spans an aligned frame boundary, so read-compare-write
 * compares what a previous install wrote frame by frame. Writes go through Platform's FileHandle (positioned
 * pwrite), so the simulator can drop unsynced ones.
 */
export class FrameWriter {
  readonly stats: FrameStats = { written: 0, unchanged: 0, bytes: 0 };
  /** Free frame buffers; the one being filled is `buffer`. */
  private readonly free: Buffer[] = [];
  private buffer: Buffer;
  private start = 0;
  private length = 0;
  /** Wakes a commit waiting for a free buffer. */
  private wake: (() => void) | undefined;
  /** The serial I/O chain: frames are compared and written one after the other, in offset order. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly compare: Buffer | undefined;
  /** SHA-256 of placed content in offset order plus the ranges, for read-back verification. */
  private readonly digest: Hash | undefined;
  readonly ranges: { start: number; length: number }[] = [];

  /**
   * `depth` frames may wait for I/O while the next one fills, so decompression and hashing go on during writes
   * (memory: (depth + 1) × frameBytes, plus one compare buffer).
   */
  constructor(
    private readonly fh: FileHandle,
    private readonly target: string,
    private readonly frameBytes: number,
    private readonly readCompareWrite: boolean,
    readBack: boolean,
    private readonly onBytes?: (bytes: number) => void,
    depth = 4,
  ) {
    for (let i = 0; i < depth; i++) this.free.push(Buffer.allocUnsafe(frameBytes));
    this.buffer = Buffer.allocUnsafe(frameBytes);
    this.compare = readCompareWrite ? Buffer.allocUnsafe(frameBytes) : undefined;
    this.digest = readBack ? createHash("sha256") : undefined;
  }

  /** Places `data` at `offset`. Offsets must not go backwards. */
  async write(offset: number, data: Buffer): Promise<void> {
    let pos = 0;
    while (pos < data.length) {
      await this.begin(offset + pos);
      const room = this.room();
      const n = Math.min(room, data.length - pos);
      data.copy(this.buffer, this.length, pos, pos + n);
      this.length += n;
      pos += n;
      if (this.length === this.limit()) await this.commit();
    }
  }

  /**
   * Places what `read` delivers from `offset` on, read straight into the frame buffers (no chunk in between, no
   * copy); stops when `read` returns 0. Returns the bytes placed.
   */
  async pull(offset: number, read: (buffer: Buffer, offset: number, length: number) => Promise<number>): Promise<number> {
    let pos = 0;
    for (;;) {
      await this.begin(offset + pos);
      const n = await read(this.buffer, this.length, this.room());
      if (n === 0) return pos;
      this.length += n;
      pos += n;
      if (this.length === this.limit()) await this.commit();
    }
  }

  /** Places `length` bytes of the repeated 4-byte `pattern` at `offset` (Android sparse FILL). */
  async fill(offset: number, length: number, pattern: Buffer): Promise<void> {
    let done = 0;
    while (done < length) {
      await this.begin(offset + done);
      const n = Math.min(this.room(), length - done);
      const buf = this.buffer;
      // the pattern is anchored at the fill's start offset, which is 4-aligned in sparse images
      const phase = done % 4;
      const word = phase === 0 ? pattern : Buffer.concat([pattern.subarray(phase), pattern.subarray(0, phase)]);
      buf.fill(word, this.length, this.length + n);
      this.length += n;
      done += n;
      if (this.length === this.limit()) await this.commit();
    }
  }

  /** Writes what is buffered and waits for every write; throws the first write failure. */
  async flush(): Promise<void> {
    if (this.length > 0) await this.commit();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  /** SHA-256 of every placed byte in order (only with read-back on). */
  contentDigest(): string | undefined {
    return this.digest?.digest("hex");
  }

  private limit(): number {
    return this.frameBytes - (this.start % this.frameBytes);
  }
  private room(): number {
    return this.limit() - this.length;
  }

  private async begin(offset: number): Promise<void> {
    if (this.length > 0 && offset === this.start + this.length) return;
    if (this.length > 0) await this.commit();
    this.start = offset;
  }

  private async commit(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const buf = this.buffer;
    const start = this.start;
    const length = this.length;
    this.digest?.update(buf.subarray(0, length));
    const last = this.ranges[this.ranges.length - 1];
    if (last && last.start + last.length === start) last.length += length;
    else this.ranges.push({ start, length });
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.put(buf, start, length);
      } catch (err) {
        this.failure = err;
      }
    });
    this.chain = this.chain.then(() => {
      this.free.push(buf);
      this.wake?.();
    });
    this.start = start + length;
    this.length = 0;
    // backpressure: with every buffer waiting for I/O, wait for the oldest frame
    while (this.free.length === 0) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    this.buffer = this.free.pop()!;
    if (this.failure !== undefined) throw this.failure;
  }

  private async put(buf: Buffer, start: number, length: number): Promise<void> {
    try {
      if (this.compare) {
        const got = await readFully(this.fh, this.compare, length, start);
        if (got === length && this.compare.compare(buf, 0, length, 0, length) === 0) {
          this.stats.unchanged += 1;
          this.stats.bytes += length;
          this.onBytes?.(this.stats.bytes);
          return;
        }
      }
      let off = 0;
      while (off < length) {
        const n = await this.fh.write(buf, off, length - off, start + off);
        if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
        off += n;
      }
      this.stats.written += 1;
      this.stats.bytes += length;
      this.onBytes?.(this.stats.bytes);
    } catch (err) {
      const sys = (err as { code?: string }).code;
      throw new OtaError(
        "OTA_ERR_INSTALL_WRITE",
        `${this.target}: write of ${length} bytes at ${start} failed: ${(err as Error).message}`,
        { cause: err, details: { target: this.target, offset: start, sysCode: sys } },
      );
    }
  }
}

/** Reads up to `length` bytes at `position`, looping over short reads; returns how many were read. */
export async function readFully(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await fh.read(buf, got, length - got, position + got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}
