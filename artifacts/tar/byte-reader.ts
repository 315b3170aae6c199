// ByteReader: pulls bounded slices from an async chunk source, so tar parsing never buffers more than it asks for.

/** Reads exact or bounded byte counts from a chunked async source; EOF is reported, never invented. */
export class ByteReader {
  private chunk: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  /** Total bytes handed out (or skipped) so far. */
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Buffer | Uint8Array | string>) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const next = await this.source.next();
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

  /** Exactly `n` bytes; returns the bytes read so far (shorter) at EOF. */
  async readExact(n: number): Promise<Buffer> {
    const first = await this.read(n);
    if (first === null) return Buffer.alloc(0);
    if (first.length === n) return first;
    const parts: Buffer[] = [first];
    let have = first.length;
    while (have < n) {
      const part = await this.read(n - have);
      if (part === null) break;
      parts.push(part);
      have += part.length;
    }
    return Buffer.concat(parts, have);
  }

  /** Skips `n` bytes; returns how many were actually skipped (less at EOF). */
  async skip(n: number, onData?: (b: Buffer) => void): Promise<number> {
    let left = n;
    while (left > 0) {
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
    await this.source.return?.();
  }
}
