// MemberBody: a tar entry's body, pulled on demand as a Node Readable or into the caller's buffers, settled before the tar moves on.
import { Readable } from "node:stream";
import type { TarReader } from "../tar/tar-reader.js";
import type { ByteSource } from "../tar/byte-source.js";

/**
 * Streams the current entry of `tar`, either as `stream` (a Readable, created on first use) or through `read`
 * (fills the caller's buffer: no per-chunk allocation). One consumer picks one of the two. Invariant: the TarReader
 * is touched only from one pull at a time; `settle()` stops further pulls and waits for the one in flight, so the
 * owner can safely call `tar.next()` after it.
 */
export class MemberBody implements ByteSource {
  private readable: Readable | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private finished = false;
  private pulling = false;

  constructor(
    private readonly tar: TarReader,
    private readonly hooks: {
      onData?: (chunk: Buffer) => void;
      /** Called once after the last byte; a returned error is raised on the stream instead of its end. */
      onEnd?: () => Error | undefined;
      /** Maps a read failure before it reaches the consumer (e.g. to the reader's abort reason). */
      mapError?: (err: Error) => Error;
      chunkSize?: number;
    } = {},
  ) {}

  /** The body as a Readable (created on first access; do not mix with `read`). */
  get stream(): Readable {
    this.readable ??= new Readable({
      highWaterMark: 256 * 1024,
      read: () => {
        if (this.stopped || this.finished) return;
        this.inflight = this.pushNext();
      },
      destroy: (err, cb) => {
        this.stopped = true;
        cb(err);
      },
    });
    return this.readable;
  }

  private async pushNext(): Promise<void> {
    const stream = this.readable!;
    try {
      const chunk = await this.tar.readBody(this.hooks.chunkSize ?? 256 * 1024);
      if (chunk === null) {
        this.finished = true;
        // Stopped meanwhile: the owner runs the end-of-body check itself after settle().
        if (this.stopped) return;
        const err = this.hooks.onEnd?.();
        if (err !== undefined) stream.destroy(err);
        else stream.push(null);
        return;
      }
      // Observed even when the consumer stopped meanwhile: these bytes left the tar and must count in the hash.
      this.hooks.onData?.(chunk);
      if (this.stopped) return;
      // A pushed chunk belongs to the stream: copy it when the tar's buffer is refilled by the next read.
      stream.push(this.tar.reusesBuffers ? Buffer.from(chunk) : chunk);
    } catch (err) {
      this.stopped = true;
      stream.destroy(this.hooks.mapError?.(err as Error) ?? (err as Error));
    }
  }

  /**
   * Fills `buffer` with up to `length` body bytes; 0 after the last one. The end-of-body check (onEnd) runs before
   * 0 is returned and its error is thrown instead, so a consumer never sees a clean end of a bad body.
   */
  read(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.pulling) return Promise.reject(new Error("MemberBody.read: calls must not overlap"));
    this.pulling = true;
    const op = this.pullInto(buffer, offset, length).finally(() => {
      this.pulling = false;
    });
    this.inflight = op.catch(() => undefined);
    return op;
  }

  private async pullInto(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.stopped) throw this.hooks.mapError?.(new Error("member body was closed")) ?? new Error("member body was closed");
    if (this.finished) return 0;
    try {
      const n = await this.tar.readBodyInto(buffer, offset, length);
      if (n === 0) {
        this.finished = true;
        const err = this.hooks.onEnd?.();
        if (err !== undefined) throw err;
        return 0;
      }
      this.hooks.onData?.(buffer.subarray(offset, offset + n));
      return n;
    } catch (err) {
      this.stopped = true;
      throw this.hooks.mapError?.(err as Error) ?? err;
    }
  }

  /** Stops pulling (ByteSource.close): the owner drains or skips what is left. */
  async close(): Promise<void> {
    await this.settle();
  }

  /** Gives up on the body: a created stream is destroyed; the owner skips what is left. */
  abandon(): void {
    this.stopped = true;
    this.readable?.destroy();
  }

  /** True once the last byte was delivered (and checked). */
  get complete(): boolean {
    return this.finished;
  }

  /** Stops pulling and waits for the in-flight read; afterwards the TarReader is free. */
  async settle(): Promise<void> {
    this.stopped = true;
    await this.inflight;
  }
}
