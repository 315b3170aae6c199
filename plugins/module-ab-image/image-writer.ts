// Streams one payload file (raw or Android sparse) into a guarded target: size check first, frames, fsync, read-back.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { Platform, FileHandle } from "../../core/capabilities/platform.js";
import type { SlotLayout } from "../../core/capabilities/slot-resolver.js";
import type { PayloadFile } from "../../core/capabilities/update-module.js";
import { OtaError, asOtaError, isOtaError } from "../../core/errors/index.js";
import type { Logger } from "../../core/logging/logger.js";
import { guardTarget } from "./target-guard.js";
import { FrameWriter, readFully, type FrameStats } from "./frame-writer.js";
import { openSparseImage, SPARSE_MAGIC } from "./sparse-input.js";
import { PeekableSource, sourceReadable } from "../../artifacts/tar/byte-source.js";

export interface ImageWriteOptions {
  frameBytes: number;
  readCompareWrite: boolean;
  readBackVerify: boolean;
  signal: AbortSignal;
  log: Logger;
  /** Bytes placed so far in this file. */
  onBytes?: (bytes: number) => void;
}

export interface ImageWriteResult extends FrameStats {
  target: string;
  sparse: boolean;
  /** Expanded image size. */
  imageBytes: number;
}

/** Reads the first `n` bytes without consuming them (they are pushed back with unshift). */
async function peek(stream: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = stream.read() as Buffer | null;
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) break;
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          stream.off("readable", done);
          stream.off("end", done);
          stream.off("error", fail);
          resolve();
        };
        const fail = (err: Error): void => {
          stream.off("readable", done);
          stream.off("end", done);
          reject(err);
        };
        stream.once("readable", done);
        stream.once("end", done);
        stream.once("error", fail);
      });
      continue;
    }
    parts.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(parts);
  if (head.length > 0) stream.unshift(head);
  return head.subarray(0, n);
}

/**
 * The order is the contract: guard (never the active slot) → open → size check (before the first write) →
 * frames → fsync → optional read-back. Any failure destroys the payload stream and throws OTA_ERR_INSTALL_*.
 */
export async function writeImage(
  platform: Platform,
  layout: SlotLayout,
  file: PayloadFile,
  targetPath: string,
  options: ImageWriteOptions,
): Promise<ImageWriteResult> {
  const target = await guardTarget(platform, layout, targetPath).catch((err: unknown) => {
    file.stream.destroy();
    throw err;
  });
  let fh: FileHandle;
  try {
    fh = await platform.fs.open(target.realPath, "r+");
  } catch (err) {
    file.stream.destroy();
    throw asOtaError(err, "OTA_ERR_INSTALL_TARGET", `${targetPath}: open for writing`);
  }
  const label = `${file.name} → ${targetPath}`;
  try {
    const capacity = await fh.size();
    // Pull mode (the artifact offers `read`): the image goes straight into the frame buffers.
    const pulled = file.read !== undefined ? new PeekableSource({ read: file.read.bind(file) }) : undefined;
    const head = pulled !== undefined ? await pulled.peek(4) : await peek(file.stream, 4);
    const sparse = head.length === 4 && head.readUInt32LE(0) === SPARSE_MAGIC;
    const writer = new FrameWriter(
      fh,
      targetPath,
      options.frameBytes,
      options.readCompareWrite,
      options.readBackVerify,
      options.onBytes,
    );
    let imageBytes: number;
    if (sparse) {
      const input = pulled !== undefined ? sourceReadable(pulled) : file.stream;
      const image = await openSparseImage(input, label);
      imageBytes = image.totalBytes;
      checkSize(label, imageBytes, capacity);
      for await (const range of image.ranges) {
        options.signal.throwIfAborted();
        if (range.kind === "raw") await writer.write(range.offset, range.data);
        else if (range.kind === "fill") await writer.fill(range.offset, range.length, range.pattern);
        // skip (DONT_CARE): nothing is written; the target keeps whatever it held
      }
    } else {
      imageBytes = file.size;
      checkSize(label, imageBytes, capacity);
      let offset = 0;
      if (pulled !== undefined) {
        offset = await writer.pull(0, (buffer, at, length) => {
          options.signal.throwIfAborted();
          return pulled.read(buffer, at, length);
        });
      } else {
        for await (const chunk of file.stream as AsyncIterable<Buffer>) {
          await writer.write(offset, chunk);
          offset += chunk.length;
        }
      }
      if (offset !== file.size) {
        throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `${label}: got ${offset} bytes, expected ${file.size}`, {
          details: { file: file.name, expected: file.size, actual: offset },
        });
      }
    }
    await writer.flush();
    try {
      await fh.sync();
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_INSTALL_WRITE", `${targetPath}: fsync`);
    }
    if (options.readBackVerify) await verifyReadBack(fh, targetPath, writer, options.frameBytes);
    options.log.info({
      event: "install.image.written",
      file: file.name,
      target: targetPath,
      device: target.realPath,
      sparse,
      imageBytes,
      framesWritten: writer.stats.written,
      framesUnchanged: writer.stats.unchanged,
    });
    return { target: targetPath, sparse, imageBytes, ...writer.stats };
  } catch (err) {
    file.stream.destroy();
    if (isOtaError(err)) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "string" && code.startsWith("OTA_ERR_ARTIFACT_")) {
      throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `${label}: ${(err as Error).message}`, {
        cause: err,
        details: { artifactCode: code, file: file.name },
      });
    }
    if (options.signal.aborted) throw new OtaError("OTA_ERR_INSTALL_ABORTED", `${label}: cancelled`, { cause: err });
    throw asOtaError(err, "OTA_ERR_INSTALL_WRITE", label);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function checkSize(label: string, imageBytes: number, capacity: number): void {
  if (imageBytes > capacity) {
    throw new OtaError(
      "OTA_ERR_INSTALL_TOO_LARGE",
      `${label}: image is ${imageBytes} bytes, the partition only ${capacity}: refused before writing`,
      { details: { imageBytes, capacity } },
    );
  }
}

/** Re-reads every placed range after fsync and compares its SHA-256 with what was written. */
async function verifyReadBack(fh: FileHandle, target: string, writer: FrameWriter, frameBytes: number): Promise<void> {
  const expected = writer.contentDigest();
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(frameBytes);
  for (const range of writer.ranges) {
    let done = 0;
    while (done < range.length) {
      const n = Math.min(frameBytes, range.length - done);
      const got = await readFully(fh, buf, n, range.start + done);
      hash.update(buf.subarray(0, got));
      if (got < n) break;
      done += n;
    }
  }
  const actual = hash.digest("hex");
  if (actual !== expected) {
    throw new OtaError("OTA_ERR_INSTALL_VERIFY", `${target}: read-back SHA-256 ${actual} differs from written ${expected}`, {
      details: { target, expected, actual },
    });
  }
}
