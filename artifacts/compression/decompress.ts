// Streaming decompression of header/data members: gzip via node:zlib, xz and zstd via child tools or JS/WASM fallbacks.
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import type { Compression } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";
import { findTool, runFilter } from "./child-tool.js";

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
    case "gzip": {
      const gunzip = createGunzip({ chunkSize: 128 * 1024 });
      const out = new Readable({ read() { gunzip.resume(); }, destroy(err, cb) { gunzip.destroy(); input.destroy(); cb(err); } });
      gunzip.on("data", (c: Buffer) => { if (!out.push(c)) gunzip.pause(); });
      gunzip.on("end", () => out.push(null));
      gunzip.on("error", (err) => out.destroy(mapError(member, err)));
      input.on("error", (err) => out.destroy(mapError(member, err)));
      input.pipe(gunzip);
      return out;
    }
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
