// Streaming decompression of header/data members: gzip via node:zlib, xz and zstd via child tools or JS/WASM fallbacks.
import { Readable, type Writable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip, type Gunzip } from "node:zlib";
import type { Compression } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";
import { findTool, runFilter } from "./child-tool.js";
import { sourceReadable, type ByteSource } from "../tar/byte-source.js";

/** Which implementation to use: "auto" prefers the `xz`/`zstd` tools on PATH (faster), "builtin" never spawns. */
export type DecompressorChoice = "auto" | "builtin";

function failure(member: string) {
  return (msg: string, cause?: unknown): Error =>
    new ArtifactError("OTA_ERR_ARTIFACT_DECOMPRESSION_FAILED", `${member}: ${msg}`, { cause, details: { member } });
}

function mapError(member: string, err: unknown): Error {
  if (err instanceof ArtifactError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return failure(member)(`corrupt compressed data (${msg})`, err);
}

/** fzstd's push decoder wrapped as a Readable (pure JS, ~150 MiB/s). */
async function fzstdStream(input: Readable, member: string): Promise<Readable> {
  const { Decompress } = await import("fzstd");
  const out = new Readable({ read() { input.resume(); }, destroy(err, cb) { input.destroy(); cb(err); } });
  const dec = new Decompress((chunk: Uint8Array) => {
    if (!out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) input.pause();
  });
  input.on("data", (chunk: Buffer) => {
    try {
      dec.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      out.destroy(mapError(member, err));
    }
  });
  input.on("end", () => {
    try {
      dec.push(new Uint8Array(0), true);
      out.push(null);
    } catch (err) {
      out.destroy(mapError(member, err));
    }
  });
  input.on("error", (err) => out.destroy(mapError(member, err)));
  return out;
}

/** xz-decompress (WASM xz-embedded) through web streams (~31 MiB/s). */
async function wasmXzStream(input: Readable, member: string): Promise<Readable> {
  const { XzReadableStream } = await import("xz-decompress");
  const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>;
  const xz = new XzReadableStream(web);
  const out = Readable.fromWeb(xz as unknown as WebReadableStream<Uint8Array>);
  const wrapped = new Readable({
    read() { out.resume(); },
    destroy(err, cb) { out.destroy(); input.destroy(); cb(err); },
  });
  out.on("data", (c: Buffer) => { if (!wrapped.push(c)) out.pause(); });
  out.on("end", () => wrapped.push(null));
  out.on("error", (err) => wrapped.destroy(mapError(member, err)));
  return wrapped;
}

/** Returns the decompressed bytes of `input` (compressed with `kind`); errors are ArtifactErrors naming `member`. */
export async function decompress(kind: Compression, input: Readable, member: string, choice: DecompressorChoice = "auto"): Promise<Readable> {
  switch (kind) {
    case "none":
      return input;
    case "gzip":
      return gunzipStream(member, (gunzip, fail) => {
        input.on("error", fail);
        input.pipe(gunzip);
        return () => input.destroy();
      });
    case "xz": {
      const tool = choice === "auto" ? findTool("xz") : null;
      // A hostile header could ask for a huge dictionary: cap what the decoder may allocate (mender-artifact's lzma
      // preset needs 64 MiB). zstd's own default cap (128 MiB window) already applies.
      if (tool !== null) return runFilter(tool, ["-d", "-c", "-q", "--memlimit-decompress=256MiB"], input, failure(member));
      return wasmXzStream(input, member);
    }
    case "zstd": {
      const tool = choice === "auto" ? findTool("zstd") : null;
      if (tool !== null) return runFilter(tool, ["-d", "-c", "-q"], input, failure(member));
      return fzstdStream(input, member);
    }
  }
}

/**
 * gzip through node:zlib (inflating on the libuv thread pool). `feed` connects the input to `gunzip`, routes input
 * failures to `fail` and returns how to stop the input.
 */
function gunzipStream(member: string, feed: (gunzip: Gunzip, fail: (err: Error) => void) => () => void): Readable {
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  let stopInput = (): void => undefined;
  const out = new Readable({ read() { gunzip.resume(); }, destroy(err, cb) { gunzip.destroy(); stopInput(); cb(err); } });
  gunzip.on("data", (c: Buffer) => { if (!out.push(c)) gunzip.pause(); });
  gunzip.on("end", () => out.push(null));
  gunzip.on("error", (err) => out.destroy(mapError(member, err)));
  stopInput = feed(gunzip, (err) => out.destroy(mapError(member, err)));
  return out;
}

/** Compressed bytes per feed buffer (two alternate: one being read while zlib consumes the other). */
const FEED_BYTES = 256 * 1024;

/**
 * Writes `source` into `sink` through two reused buffers: a buffer is refilled only after the sink's write
 * callback said it is done with it (zlib calls it once the input is consumed; it honours its own output
 * backpressure meanwhile), so memory stays at two buffers whatever the size. Ends `sink` at the end of `source`.
 */
async function pump(source: ByteSource, sink: Writable, stopped: () => boolean): Promise<void> {
  const buffers = [Buffer.allocUnsafe(FEED_BYTES), Buffer.allocUnsafe(FEED_BYTES)];
  const busy: Array<Promise<void> | undefined> = [undefined, undefined];
  for (let i = 0; ; i ^= 1) {
    await busy[i];
    if (stopped()) return;
    const buffer = buffers[i]!;
    const n = await source.read(buffer, 0, FEED_BYTES);
    if (n === 0) break;
    busy[i] = new Promise<void>((resolve, reject) => {
      sink.write(buffer.subarray(0, n), (err) => (err ? reject(err) : resolve()));
    });
    // a failed write also surfaces as the sink's error event; the await above only stops the loop
    busy[i]!.catch(() => undefined);
  }
  for (const write of busy) await write;
  sink.end();
}

/**
 * Like `decompress`, reading from a ByteSource through reused buffers. "none" hands the source back (the caller
 * reads it without any copy); gzip feeds zlib from two reused buffers; xz/zstd go through `decompress`.
 */
export async function decompressSource(kind: Compression, source: ByteSource, member: string, choice: DecompressorChoice = "auto"): Promise<ByteSource | Readable> {
  if (kind === "none") return source;
  if (kind !== "gzip") return decompress(kind, sourceReadable(source), member, choice);
  return gunzipStream(member, (gunzip, fail) => {
    let stopped = false;
    pump(source, gunzip, () => stopped).catch((err: unknown) => fail(err as Error));
    return () => {
      stopped = true;
      source.close?.().catch(() => undefined);
    };
  });
}

/** The compression a member-name suffix means, or undefined for an unknown suffix. */
export function compressionFromName(name: string, base: string): Compression | undefined {
  if (name === base) return "none";
  if (name === `${base}.gz`) return "gzip";
  if (name === `${base}.xz`) return "xz";
  if (name === `${base}.zst`) return "zstd";
  return undefined;
}

/** The member-name suffix for a compression. */
export function compressionSuffix(kind: Compression): string {
  return { none: "", gzip: ".gz", xz: ".xz", zstd: ".zst" }[kind];
}
