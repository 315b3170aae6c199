// Streaming compression for the writer: gzip via node:zlib; xz and zstd via the command-line tools (clear error if absent).
import type { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { Compression } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";
import { findTool, runFilter } from "./child-tool.js";

/**
 * Compresses `input` with `kind`. xz uses the xz container with CRC64 (what mender-artifact's "lzma" writes), preset 6
 * single-threaded so devices can decompress with a bounded dictionary; zstd level 3.
 */
export function compress(kind: Compression, input: Readable): Readable {
  const makeError = (msg: string, cause?: unknown): Error =>
    new ArtifactError("OTA_ERR_ARTIFACT_IO", `compressing with ${kind}: ${msg}`, { cause });
  switch (kind) {
    case "none":
      return input;
    case "gzip": {
      const gz = createGzip({ level: 6, chunkSize: 128 * 1024 });
      input.on("error", (err) => gz.destroy(err));
      return input.pipe(gz);
    }
    case "xz":
    case "zstd": {
      const tool = findTool(kind);
      if (tool === null) {
        throw new ArtifactError(
          "OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED",
          `${kind} compression needs the '${kind}' tool on PATH (install xz-utils / zstd), or choose gzip`,
        );
      }
      const args = kind === "xz" ? ["-z", "-c", "-q", "-6", "-T1", "--check=crc64"] : ["-c", "-q", "-3"];
      return runFilter(tool, args, input, makeError);
    }
  }
}
