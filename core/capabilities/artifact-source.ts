// ArtifactSource: opens a URI (file path, http/https URL...) as one byte stream, resuming over dropped connections.
import type { Readable } from "node:stream";

export interface SourceProgress {
  /** Bytes delivered so far. */
  bytes: number;
  /** Total size when known. */
  total?: number;
  /** Bytes per second over the recent window. */
  rate: number;
  /** Resumes (Range requests) so far. */
  resumes: number;
}

export interface OpenOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SourceProgress) => void;
  /** Extra request headers (never logged). */
  headers?: Record<string, string>;
}

export interface OpenedArtifact {
  /** The bytes, exactly once and in order, across any number of resumes. Destroy it to abort. */
  stream: Readable;
  /**
   * Pull access to the same bytes, for sources that read local files or devices: `read` fills the caller's buffer
   * (0 at the end), so an image can stream through reused buffers with no per-chunk allocation. A consumer uses
   * either this or `stream`, never both; `close` (or destroying `stream`) releases the source.
   */
  pull?: { read(buffer: Buffer, offset: number, length: number): Promise<number>; close(): Promise<void> };
  /** Total size when known before reading. */
  size?: number;
  /** Where it came from, safe to log (no credentials or query strings). */
  displayName: string;
}

/**
 * Opens a URI. `canOpen` is a pure check of the scheme; `open` throws OTA_ERR_SOURCE_* codes (not found, HTTP
 * status, TLS, timeout after retries). Each open is a fresh read from byte 0.
 */
export interface ArtifactSource {
  /** Short name for logs ("file", "http"). */
  readonly name: string;
  /** True when this source handles the URI's scheme; pure, no I/O. */
  canOpen(uri: string): boolean;
  /**
   * Opens `uri` and resolves once the first response is in (the stream then delivers the bytes). Rejects with
   * OTA_ERR_SOURCE_NOT_FOUND / HTTP_STATUS / TLS / TIMEOUT / CONNECTION; the stream errors with
   * OTA_ERR_SOURCE_TRUNCATED / CHANGED / READ when a resume cannot continue the same bytes. Safe to call again.
   */
  open(uri: string, options?: OpenOptions): Promise<OpenedArtifact>;
}
