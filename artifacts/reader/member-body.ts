// MemberBody: a tar entry's body as a Node Readable that pulls on demand and can be settled before the tar moves on.
import { Readable } from "node:stream";
import type { TarReader } from "../tar/tar-reader.js";

/**
 * Streams the current entry of `tar`. Invariant: the TarReader is touched only from `read()`, one call at a time;
 * `settle()` stops further reads and waits for the one in flight, so the owner can safely call `tar.next()` after it.
 */
export class MemberBody {
  readonly stream: Readable;
  private inflight: Promise<void> = Promise.resolve();
  private stopped = false;
  private finished = false;

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
  ) {
    this.stream = new Readable({
      highWaterMark: 256 * 1024,
      read: () => {
        if (this.stopped || this.finished) return;
        this.inflight = this.pull();
      },
      destroy: (err, cb) => {
        this.stopped = true;
        cb(err);
      },
    });
  }

  private async pull(): Promise<void> {
    try {
      const chunk = await this.tar.readBody(this.hooks.chunkSize ?? 256 * 1024);
      if (chunk === null) {
        this.finished = true;
        // Stopped meanwhile: the owner runs the end-of-body check itself after settle().
        if (this.stopped) return;
        const err = this.hooks.onEnd?.();
        if (err !== undefined) this.stream.destroy(err);
        else this.stream.push(null);
        return;
      }
      // Observed even when the consumer stopped meanwhile: these bytes left the tar and must count in the hash.
      this.hooks.onData?.(chunk);
      if (this.stopped) return;
      // No copy: upstream chunks (fs, zlib, child stdout) are fresh buffers that are never overwritten.
      this.stream.push(chunk);
    } catch (err) {
      this.stopped = true;
      this.stream.destroy(this.hooks.mapError?.(err as Error) ?? (err as Error));
    }
  }

  /** True once the last byte was pushed (and checked). */
  get complete(): boolean {
    return this.finished;
  }

  /** Stops pulling and waits for the in-flight read; afterwards the TarReader is free. */
  async settle(): Promise<void> {
    this.stopped = true;
    await this.inflight;
  }
}
