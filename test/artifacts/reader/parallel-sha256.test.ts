// ParallelSha256 hashes on a worker exactly as crypto's SHA-256 does, and the reader uses it for big pulled payloads.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ParallelSha256 } from "../../../artifacts/reader/parallel-sha256.js";
import { openArtifact } from "../../../artifacts/reader/open-artifact.js";
import { bufferSource, craft, readError } from "../artifact-kit.js";

describe("ParallelSha256", () => {
  it("matches crypto's SHA-256 over odd chunk sizes that wrap the ring many times", () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    const parallel = new ParallelSha256();
    const sizes = [1, 7, 4096, 256 * 1024, 256 * 1024 + 1, 1024 * 1024, 3];
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const n = Math.min(sizes[i % sizes.length]!, data.length - pos);
      parallel.update(data.subarray(pos, pos + n));
      pos += n;
    }
    expect(parallel.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("an empty input has the empty digest", () => {
    expect(new ParallelSha256().digest("hex")).toBe(createHash("sha256").digest("hex"));
  });

  it("dispose stops the worker without a digest", () => {
    const parallel = new ParallelSha256();
    parallel.update(Buffer.alloc(1000));
    expect(() => parallel.dispose()).not.toThrow();
  });
});

describe("openArtifact over a ByteSource hashes big uncompressed payloads on a worker", () => {
  const body = randomBytes(600 * 1024);

  it("delivers the payload and checks its checksum", async () => {
    const buf = craft({ gzip: false, files: [{ name: "rootfs.img", body }] });
    const a = await openArtifact(bufferSource(buf, 1 << 20), { parallelHashMinBytes: 512 * 1024 });
    const parts: Buffer[] = [];
    for await (const p of a.payloads()) {
      for await (const f of p.files) {
        const into = Buffer.alloc(128 * 1024);
        for (let n; (n = await f.read!(into, 0, into.length)) > 0; ) parts.push(Buffer.from(into.subarray(0, n)));
      }
    }
    const summary = await a.done();
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect(summary.payloads[0]!.files[0]!.sha256).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("payload-tampered-uncompressed: OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH from the worker's digest", async () => {
    const buf = craft({ gzip: false, files: [{ name: "rootfs.img", body }] });
    const at = buf.indexOf(body.subarray(0, 64)) + 300 * 1024;
    buf[at] = buf[at]! ^ 0xff;
    const err = await readError(buf, { parallelHashMinBytes: 512 * 1024 });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH");
  });
});
