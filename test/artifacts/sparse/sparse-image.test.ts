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

describe("sparse decoder fuzzing", () => {
  it("2000 mutated images: only ArtifactErrors, and every range stays inside the declared size in ascending order", async () => {
    const { isArtifactError } = await import("../../../artifacts/errors.js");
    const base = await encodeSparseBuffer(sampleImage(), { dontCareZeros: true });
    let x = 0x1234567;
    const r = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(base);
      const n = 1 + Math.floor(r() * 4);
      for (let k = 0; k < n; k++) b[Math.floor(r() * Math.min(b.length, r() < 0.7 ? 200 : b.length))] = Math.floor(r() * 256);
      const input = r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      try {
        const img = await openSparseImage(Readable.from([input]));
        let next = 0;
        for await (const range of img.ranges()) {
          const len = range.kind === "raw" ? range.data.length : range.length;
          expect(range.offset, `case ${i}`).toBe(next);
          next = range.offset + len;
          expect(next, `case ${i}`).toBeLessThanOrEqual(img.expandedSize);
        }
      } catch (err) {
        if (!isArtifactError(err)) throw new Error(`case ${i}: non-ArtifactError ${String(err)}`);
      }
    }
  });
});

describe("CRC32 over sparse runs", () => {
  it("combined CRCs of repeated blocks equal zlib's CRC over the bytes", async () => {
    const { crc32Combine, crc32Repeat } = await import("../../../artifacts/sparse/crc32-combine.js");
    const a = Buffer.from("hello ");
    const b = Buffer.from("sparse world");
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
    const block = Buffer.alloc(4096, Buffer.from([9, 8, 7, 6]));
    for (const n of [1, 2, 3, 7, 64]) expect(crc32Repeat(crc32(block), block.length, n), `n=${n}`).toBe(crc32(Buffer.concat(Array(n).fill(block) as Buffer[])));
  });

  it("sparse-huge-dont-care-run with a CRC chunk is checked without touching the bytes", async () => {
    // 2^31 blocks of 4 KiB (8 TiB) of DONT_CARE followed by a CRC32 chunk: must finish at once, not hang.
    const blocks = 2 ** 31;
    const head = Buffer.alloc(28);
    head.writeUInt32LE(0xed26ff3a, 0); head.writeUInt16LE(1, 4); head.writeUInt16LE(28, 8); head.writeUInt16LE(12, 10);
    head.writeUInt32LE(4096, 12); head.writeUInt32LE(blocks, 16); head.writeUInt32LE(2, 20);
    const skip = Buffer.alloc(12); skip.writeUInt16LE(0xcac3, 0); skip.writeUInt32LE(blocks, 4); skip.writeUInt32LE(12, 8);
    const crc = Buffer.alloc(16); crc.writeUInt16LE(CHUNK_CRC32, 0); crc.writeUInt32LE(16, 8); crc.writeUInt32LE(0xdeadbeef, 12);
    const img = await openSparseImage(Readable.from([Buffer.concat([head, skip, crc])]));
    expect(img.expandedSize).toBe(blocks * 4096);
    await expect((async () => { for await (const _r of img.ranges()) { /* consume */ } })()).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_SPARSE_CRC_MISMATCH" });
  });
});
