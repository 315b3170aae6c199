// How the reader behaves with real consumers: early destroy, abort, a failing source, skipping files.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openArtifact } from "../../../artifacts/reader/open-artifact.js";
import { craft, GOOD_FILE, sha } from "../artifact-kit.js";

const files = [
  { name: "one.bin", body: Buffer.alloc(300_000, 1) },
  { name: "two.bin", body: GOOD_FILE },
];
const info = { payloads: [{ type: "m" }], artifact_provides: { artifact_name: "c-1" }, artifact_depends: { device_type: ["pi4"] } };
const buf = craft({ files, headerInfo: info, typeInfo: { type: "m" }, gzip: true });
const chunked = (b: Buffer, n = 5000) => Readable.from(Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n)));

describe("reader with real consumers", () => {
  it("module-destroys-stream-early: the rest of that file is drained and checked, the next file still arrives", async () => {
    const a = await openArtifact(chunked(buf));
    const seen: Array<[string, string]> = [];
    for await (const p of a.payloads()) {
      for await (const f of p.files) {
        if (f.name === "one.bin") {
          for await (const _c of f.stream) break; // reads one chunk, then destroys
          continue;
        }
        const parts: Buffer[] = [];
        for await (const c of f.stream) parts.push(c as Buffer);
        seen.push([f.name, sha(Buffer.concat(parts))]);
      }
    }
    expect(seen).toEqual([["two.bin", sha(GOOD_FILE)]]);
    expect((await a.done()).payloads[0]!.files.map((f) => f.name)).toEqual(["one.bin", "two.bin"]);
  });

  it("caller-breaks-out-of-files-loop: done() drains and verifies the rest", async () => {
    const a = await openArtifact(chunked(buf));
    for await (const p of a.payloads()) {
      for await (const _f of p.files) break;
      break;
    }
    expect((await a.done()).payloads[0]!.files).toHaveLength(2);
  });

  it("abort-mid-payload: the iteration ends with OTA_ERR_ARTIFACT_ABORTED", async () => {
    const a = await openArtifact(chunked(buf));
    const run = (async () => {
      for await (const p of a.payloads()) {
        for await (const f of p.files) {
          a.abort();
          for await (const _c of f.stream) { /* consume */ }
        }
      }
    })();
    await expect(run).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_ABORTED" });
    await expect(a.done()).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_ABORTED" });
  });

  it("done() after a failed iteration reports the same failure", async () => {
    const bad = craft({ files, headerInfo: info, typeInfo: { type: "m" }, manifest: (m) => m.replace(/^[0-9a-f]{64}(?=  data\/0000\/two)/m, sha("x")) });
    const a = await openArtifact(chunked(bad));
    const run = (async () => {
      for await (const p of a.payloads()) for await (const f of p.files) for await (const _c of f.stream) { /* consume */ }
    })();
    await expect(run).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH" });
    await expect(a.done()).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", details: { member: "data/0000/two.bin" } });
  });

  it("source-fails-mid-download: the source's own error reaches the consumer unchanged", async () => {
    const boom = Object.assign(new Error("connection reset"), { code: "ECONNRESET" });
    const source = new Readable({ read() {} });
    source.push(buf.subarray(0, 20_000));
    setTimeout(() => source.destroy(boom), 20);
    const a = await openArtifact(source);
    const run = (async () => {
      for await (const p of a.payloads()) for await (const f of p.files) for await (const _c of f.stream) { /* consume */ }
      await a.done();
    })();
    await expect(run).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|OTA_ERR_ARTIFACT_DECOMPRESSION_FAILED/) as unknown as string });
  });
});
