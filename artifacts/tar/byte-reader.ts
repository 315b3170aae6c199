// ByteReader: pulls bounded slices from a chunk iterator or a ByteSource, so tar parsing never buffers more than it asks for.
import type { ByteSource } from "./byte-source.js";
import { isByteSource } from "./byte-source.js";

/** Pull-mode staging buffer: headers and small reads go through it; larger reads bypass it (see readInto). */
const STAGING_BYTES = 64 * 1024;
/** Pull-mode skip buffer: draining goes in large reads (allocated on the first long skip). */
const SKIP_BYTES = 1024 * 1024;

/**
 * Reads exact or bounded byte counts; EOF is reported, never invented. Two modes:
 * - over an async chunk iterator: slices alias the source's chunks, which nobody overwrites, so they stay valid;
 * - over a ByteSource (`reusesBuffers`): one staging buffer is refilled, so a slice from `read`/`readExact` is valid
 *   only until the next call on this reader — a caller that keeps bytes copies them (TarReader.readAll does).
 */
export class ByteReader {
  private chunk: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string> | undefined;
  private readonly pull: ByteSource | undefined;
  private staging: Buffer | undefined;
  private scratch: Buffer | undefined;
  /** Total bytes handed out (or skipped) so far. */
  consumed = 0;

  constructor(source: AsyncIterator<Buffer | Uint8Array | string> | ByteSource) {
    if (isByteSource(source)) this.pull = source;
    else this.iterator = source;
  }

  /** True when slices are views of a reused buffer (valid until the next call). */
  get reusesBuffers(): boolean {
    return this.pull !== undefined;
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      if (this.pull !== undefined) {
        this.staging ??= Buffer.allocUnsafe(STAGING_BYTES);
        const n = await this.pull.read(this.staging, 0, STAGING_BYTES);
        if (n === 0) {
          this.ended = true;
          return false;
        }
        this.chunk = this.staging.subarray(0, n);
        this.pos = 0;
        continue;
      }
      const next = await this.iterator!.next();
      if (next.done === true) {
        this.ended = true;
        return false;
      }
      const value = next.value;
      this.chunk = typeof value === "string" ? Buffer.from(value) : Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      this.pos = 0;
    }
    return true;
  }

  /** Up to `max` bytes (at least 1), or null at EOF. The returned slice may alias the source chunk. */
  async read(max: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.consumed += n;
    return out;
  }

  /**
   * Copies up to `length` bytes into `target` at `offset`; 0 at EOF. In pull mode a read of at least the staging
   * size with nothing staged goes straight from the source into `target`: an image streams without a copy.
   */
  async readInto(target: Buffer, offset: number, length: number): Promise<number> {
    if (length <= 0) return 0;
    if (this.pull !== undefined && this.pos >= this.chunk.length && length >= STAGING_BYTES) {
      if (this.ended) return 0;
      const n = await this.pull.read(target, offset, length);
      if (n === 0) this.ended = true;
      this.consumed += n;
      return n;
    }
    const part = await this.read(length);
    if (part === null) return 0;
    part.copy(target, offset);
    return part.length;
  }

  /** Exactly `n` bytes; returns the bytes read so far (shorter) at EOF. */
  async readExact(n: number): Promise<Buffer> {
    const first = await this.read(n);
    if (first === null) return Buffer.alloc(0);
    if (first.length === n) return first;
    // several parts: in pull mode each is overwritten by the next read, so copy as we go
    const out = Buffer.allocUnsafe(n);
    first.copy(out, 0);
    let have = first.length;
    while (have < n) {
      const part = await this.read(n - have);
      if (part === null) break;
      part.copy(out, have);
      have += part.length;
    }
    return out.subarray(0, have);
  }

  /** Skips `n` bytes; returns how many were actually skipped (less at EOF). */
  async skip(n: number, onData?: (b: Buffer) => void): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.pull !== undefined && this.pos >= this.chunk.length && left >= STAGING_BYTES) {
        // a long skip (an unread payload being drained and hashed) reads in big steps through one scratch buffer
        this.scratch ??= Buffer.allocUnsafe(SKIP_BYTES);
        const got = await this.readInto(this.scratch, 0, Math.min(left, SKIP_BYTES));
        if (got === 0) break;
        onData?.(this.scratch.subarray(0, got));
        left -= got;
        continue;
      }
      const part = await this.read(Math.min(left, 1 << 20));
      if (part === null) break;
      onData?.(part);
      left -= part.length;
    }
    return n - left;
  }

  /** True when no byte is left. */
  async atEof(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Stops the source (e.g. when the consumer gave up). */
  async close(): Promise<void> {
    this.ended = true;
    if (this.pull !== undefined) await this.pull.close?.();
    else await this.iterator!.return?.();
  }
}
