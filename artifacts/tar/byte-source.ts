// ByteSource: a pull source that fills the caller's buffer, so a stream of any length runs through reused buffers.
import { open } from "node:fs/promises";
import { Readable } from "node:stream";

/**
 * Reads into memory the caller owns. Why: a Node Readable hands out a fresh buffer per chunk, and at install speed
 * that churn (page faults on new memory, dead buffers awaiting GC, a fragmented malloc heap) costs more CPU than
 * SHA-256 and a third of the peak RSS. A pull source lets one set of buffers carry a whole image.
 */
export interface ByteSource {
  /** Reads up to `length` bytes into `buffer` at `offset`; resolves 0 only at the end. Calls never overlap. */
  read(buffer: Buffer, offset: number, length: number): Promise<number>;
  /** Stops the source early (closes a file, aborts a transfer). Idempotent. */
  close?(): Promise<void>;
}

/** True for a ByteSource, false for a Node Readable (both have a `read` method; only a Readable pipes). */
export function isByteSource(input: unknown): input is ByteSource {
  return typeof input === "object" && input !== null && typeof (input as ByteSource).read === "function" && typeof (input as { pipe?: unknown }).pipe !== "function";
}

/** A ByteSource whose first bytes can be looked at before anyone reads them: `read` delivers them again. */
export class PeekableSource implements ByteSource {
  private head: Buffer | undefined;

  constructor(private readonly source: ByteSource) {}

  /** Up to `n` leading bytes (fewer when the source is shorter). Only the first call reads. */
  async peek(n: number): Promise<Buffer> {
    if (this.head === undefined) {
      const head = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const k = await this.source.read(head, got, n - got);
        if (k === 0) break;
        got += k;
      }
      this.head = head.subarray(0, got);
    }
    return this.head;
  }

  read(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.head !== undefined && this.head.length > 0) {
      const n = this.head.copy(buffer, offset, 0, Math.min(length, this.head.length));
      this.head = this.head.subarray(n);
      return Promise.resolve(n);
    }
    return this.source.read(buffer, offset, length);
  }

  close(): Promise<void> {
    return this.source.close?.() ?? Promise.resolve();
  }
}

/**
 * A Readable over `source`, for consumers that need a stream. Each chunk is a fresh buffer (the stream owns what it
 * pushes), read `chunkBytes` at a time with the Readable's usual backpressure.
 */
export function sourceReadable(source: ByteSource, chunkBytes = 256 * 1024): Readable {
  let closed = false;
  const close = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    return source.close?.() ?? Promise.resolve();
  };
  return new Readable({
    highWaterMark: chunkBytes,
    read(): void {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      source.read(buffer, 0, chunkBytes).then(
        (n) => {
          if (n === 0) this.push(null);
          else this.push(n === chunkBytes ? buffer : buffer.subarray(0, n));
        },
        (err: unknown) => this.destroy(err as Error),
      );
    },
    destroy(err, callback): void {
      close().then(
        () => callback(err),
        () => callback(err),
      );
    },
  });
}

/** A ByteSource over a file: positional reads into the caller's buffer; closed at the end or by `close`. */
export async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, "r");
  let position = 0;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    async read(buffer, offset, length) {
      if (closed) return 0;
      const { bytesRead } = await handle.read(buffer, offset, length, position);
      position += bytesRead;
      if (bytesRead === 0) await close();
      return bytesRead;
    },
    close,
  };
}
