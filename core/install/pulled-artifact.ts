// PulledArtifact: the artifact file read through a source's pull side — counted, optionally hashed, peekable.
import { createHash, type Hash } from "node:crypto";
import type { OpenedArtifact } from "../capabilities/artifact-source.js";
import { OtaError } from "../errors/index.js";
import { PeekableSource } from "../../artifacts/tar/byte-source.js";

type Pull = NonNullable<OpenedArtifact["pull"]>;

/**
 * The pull-mode twin of the pipeline's FileDigest stream: every byte that leaves the source is counted, and hashed
 * when a whole-file SHA-256 is to be checked. `peek` reads the first bytes once and replays them, so a format can
 * be sniffed before the reader starts. Reads fail with OTA_ERR_INSTALL_ABORTED once `signal` fired.
 */
export class PulledArtifact {
  readonly hash: Hash | undefined;
  bytes = 0;
  private readonly source: PeekableSource;

  constructor(
    private readonly pull: Pull,
    hashing: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.hash = hashing ? createHash("sha256") : undefined;
    this.source = new PeekableSource({ read: (buffer, offset, length) => this.take(buffer, offset, length) });
  }

  /** Up to `n` leading bytes (fewer when the file is shorter); later reads deliver them again. */
  peek(n: number): Promise<Buffer> {
    return this.source.peek(n);
  }

  read(buffer: Buffer, offset: number, length: number): Promise<number> {
    return this.source.read(buffer, offset, length);
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
