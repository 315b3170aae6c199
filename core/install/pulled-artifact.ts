// PulledArtifact: the artifact file read through a source's pull side — counted, optionally hashed, peekable.
import { createHash, type Hash } from "node:crypto";
import type { OpenedArtifact } from "../capabilities/artifact-source.js";
import { OtaError } from "../errors/index.js";

type Pull = NonNullable<OpenedArtifact["pull"]>;

/**
 * The pull-mode twin of the pipeline's FileDigest stream: every byte that leaves the source is counted, and hashed
 * when a whole-file SHA-256 is to be checked. `peek` reads the first bytes once and replays them, so a format can
 * be sniffed before the reader starts. Reads fail with OTA_ERR_INSTALL_ABORTED once `signal` fired.
 */
export class PulledArtifact {
  readonly hash: Hash | undefined;
  bytes = 0;
  private head: Buffer | undefined;

  constructor(
    private readonly pull: Pull,
    hashing: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.hash = hashing ? createHash("sha256") : undefined;
  }

  /** Up to `n` leading bytes (fewer when the file is shorter); later reads deliver them again. */
  async peek(n: number): Promise<Buffer> {
    if (this.head === undefined) {
      const head = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const k = await this.take(head, got, n - got);
        if (k === 0) break;
        got += k;
      }
      this.head = head.subarray(0, got);
    }
    return this.head;
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.head !== undefined && this.head.length > 0) {
      const n = this.head.copy(buffer, offset, 0, Math.min(length, this.head.length));
      this.head = this.head.subarray(n);
      return n;
    }
    return this.take(buffer, offset, length);
  }

  /** Reads what is left (tar padding after the last member), so the count and hash cover the whole file. */
  async drain(): Promise<void> {
    const scratch = Buffer.allocUnsafe(64 * 1024);
    while ((await this.read(scratch, 0, scratch.length)) > 0) {
      // counted and hashed by take()
    }
  }

  close(): Promise<void> {
    return this.pull.close();
  }

  private async take(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.signal.aborted) throw new OtaError("OTA_ERR_INSTALL_ABORTED", "install cancelled");
    const n = await this.pull.read(buffer, offset, length);
    this.bytes += n;
    this.hash?.update(buffer.subarray(offset, offset + n));
    return n;
  }
}
