// Android sparse images: decode to ranges (raw/fill/skip) with the expanded size first; encoder round trip; CRC32.
import { crc32 } from "node:zlib";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CHUNK_CRC32, openSparseImage, type SparseRange } from "../../../artifacts/sparse/sparse-image.js";
import { encodeSparseBuffer } from "../../../artifacts/sparse/sparse-encoder.js";

/** Expands ranges into a buffer the way a slot writer would (skip leaves what was there: zeros here). */
async function expand(sparse: Buffer, chunk = 1000): Promise<{ image: Buffer; ranges: SparseRange["kind"][] ; size: number }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < sparse.length; i += chunk) parts.push(sparse.subarray(i, i + chunk));
  const img = await openSparseImage(Readable.from(parts));
  const out = Buffer.alloc(img.expandedSize);
  const kinds: SparseRange["kind"][] = [];
  for await (const r of img.ranges()) {
    kinds.push(r.kind);
    if (r.kind === "raw") r.data.copy(out, r.offset);
    else if (r.kind === "fill") for (let o = r.offset; o < r.offset + r.length; o += 4) r.pattern.copy(out, o);
  }
  return { image: out, ranges: kinds, size: img.expandedSize };
}

function sampleImage(): Buffer {
  const img = Buffer.alloc(4096 * 10);
  for (let i = 0; i < 4096 * 2; i++) img[i] = (i * 7) & 0xff; // raw
  img.fill(Buffer.from([1, 2, 3, 4]), 4096 * 3, 4096 * 5); // fill
  img.write("tail", 4096 * 9 + 10); // raw at the end; blocks 5..8 zero
  return img;
}

describe("sparse codec", () => {
  it("round-trips an image through encode and decode with DONT_CARE zero blocks", async () => {
    const img = sampleImage();
    const sparse = await encodeSparseBuffer(img);
    expect(sparse.length).toBeLessThan(img.length);
    const { image, ranges, size } = await expand(sparse);
    expect(size).toBe(img.length);
    expect(image.equals(img)).toBe(true);
    expect(ranges).toEqual(["raw", "skip", "fill", "skip", "raw"]);
  });

  it("writes zero blocks as FILL when DONT_CARE is off", async () => {
    const { ranges, image } = await expand(await encodeSparseBuffer(sampleImage(), { dontCareZeros: false }));
    expect(ranges).not.toContain("skip");
    expect(image.equals(sampleImage())).toBe(true);
  });

  it("zero-pads a final partial block", async () => {
    const img = Buffer.from("x".repeat(5000));
    const { image, size } = await expand(await encodeSparseBuffer(img));
    expect(size).toBe(8192);
    expect(image.subarray(0, 5000).equals(img)).toBe(true);
  });

  it("reports the expanded size before the first range", async () => {
    const img = await openSparseImage(Readable.from([await encodeSparseBuffer(sampleImage())]));
    expect(img.expandedSize).toBe(40960);
    expect(img.blockSize).toBe(4096);
  });

  it("checks a correct CRC32 chunk and refuses a wrong one (sparse-crc-mismatch)", async () => {
    const img = Buffer.alloc(8192, 0x5a);
    img[0] = 1;
    const base = await encodeSparseBuffer(img);
    const withCrc = (value: number) => {
      const ch = Buffer.alloc(16);
      ch.writeUInt16LE(CHUNK_CRC32, 0);
      ch.writeUInt32LE(0, 4);
      ch.writeUInt32LE(16, 8);
      ch.writeUInt32LE(value >>> 0, 12);
      const out = Buffer.concat([base, ch]);
      out.writeUInt32LE(out.readUInt32LE(20) + 1, 20); // one more chunk
      return out;
    };
    await expect(expand(withCrc(crc32(img)))).resolves.toBeDefined();
    await expect(expand(withCrc(crc32(img) ^ 1))).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_SPARSE_CRC_MISMATCH" });
  });

  it.each([
    ["sparse-bad-magic", (b: Buffer) => { b.writeUInt32LE(0x12345678, 0); }, "OTA_ERR_ARTIFACT_SPARSE_INVALID"],
    ["sparse-unknown-chunk-type", (b: Buffer) => { b.writeUInt16LE(0xcaff, 28); }, "OTA_ERR_ARTIFACT_SPARSE_INVALID"],
    ["sparse-chunk-past-total-blocks", (b: Buffer) => { b.writeUInt32LE(2, 16); }, "OTA_ERR_ARTIFACT_SPARSE_INVALID"],
    ["sparse-raw-size-wrong", (b: Buffer) => { b.writeUInt32LE(b.readUInt32LE(36) + 4, 36); }, "OTA_ERR_ARTIFACT_SPARSE_INVALID"],
    ["sparse-zero-block-size", (b: Buffer) => { b.writeUInt32LE(0, 12); }, "OTA_ERR_ARTIFACT_SPARSE_INVALID"],
  ])("%s is refused", async (_n, mutate, code) => {
    const b = Buffer.from(await encodeSparseBuffer(sampleImage()));
    mutate(b);
    await expect(expand(b)).rejects.toMatchObject({ code });
  });

  it("sparse-truncated is refused", async () => {
    const b = await encodeSparseBuffer(sampleImage());
    for (const cut of [10, 30, 100, b.length - 1]) await expect(expand(b.subarray(0, cut))).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_TRUNCATED" });
  });

  it("sparse-trailing-data is refused", async () => {
    await expect(expand(Buffer.concat([await encodeSparseBuffer(sampleImage()), Buffer.from("x")]))).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_SPARSE_INVALID" });
  });

  it("raw ranges stay bounded for a large raw chunk", async () => {
    const img = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < img.length; i += 4) img.writeUInt32LE(i, i);
    const sparse = await encodeSparseBuffer(img);
    const s = await openSparseImage(Readable.from([sparse]));
    let max = 0;
    for await (const r of s.ranges()) if (r.kind === "raw") max = Math.max(max, r.data.length);
    expect(max).toBeLessThanOrEqual(1024 * 1024);
  });
});
