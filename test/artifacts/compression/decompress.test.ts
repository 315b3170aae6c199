// Decompression: child xz/zstd tools and the JS/WASM fallbacks give the same bytes; corrupt input fails cleanly.
import { execFileSync, spawnSync } from "node:child_process";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { decompress } from "../../../artifacts/compression/decompress.js";
import { compress } from "../../../artifacts/compression/compress.js";
import { craft, readAll, readError, sha, writeToBuffer } from "../artifact-kit.js";

const data = Buffer.concat(Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i} ${"x".repeat(i % 50)}\n`)));

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe.each(["auto", "builtin"] as const)("decompressors=%s", (choice) => {
  it.each([
    ["xz", ["xz", "-c", "-q"]],
    ["zstd", ["zstd", "-c", "-q"]],
  ] as const)("%s round trip", async (kind, cmd) => {
    const packed = execFileSync(cmd[0], cmd.slice(1), { input: data });
    const out = await drain(await decompress(kind, Readable.from([packed]), "m", choice));
    expect(sha(out)).toBe(sha(data));
  });

  it.each(["xz", "zstd", "gzip"] as const)("corrupt %s fails with DECOMPRESSION_FAILED naming the member", async (kind) => {
    const packed = await drain(compress(kind, Readable.from([data])));
    const broken = Buffer.concat([packed.subarray(0, 12), Buffer.alloc(packed.length - 12, 0x33)]);
    await expect(drain(await decompress(kind, Readable.from([broken]), "data/0000.tar.x", choice))).rejects.toMatchObject({
      code: "OTA_ERR_ARTIFACT_DECOMPRESSION_FAILED",
      details: { member: "data/0000.tar.x" },
    });
  });

  it.each(["xz", "zstd"] as const)("reads a whole %s artifact written by ours", async (compression) => {
    const buf = await writeToBuffer({ kind: "module-image", payloadType: "t", name: "z-1", deviceTypes: ["pi4"], compression, files: [{ name: "f.txt", size: data.length, open: () => Readable.from([data]) }] });
    const r = await readAll(buf, { decompressors: choice });
    expect(r.header.compression).toBe(compression);
    expect(sha(r.files[0]!.data)).toBe(sha(data));
  });
});

describe("compression tools", () => {
  it("xz-or-zstd-missing: writing fails with COMPRESSION_UNSUPPORTED when the tool is not on PATH", () => {
    // A child process with an empty PATH: the encoder must say what is missing instead of producing a broken file.
    const script = `
      import { writeArtifact } from "./artifacts/writer/write-artifact.ts";
      import { Writable, Readable } from "node:stream";
      try {
        await writeArtifact({ kind: "module-image", payloadType: "t", name: "n", deviceTypes: ["d"], compression: "zstd",
          files: [{ name: "f", size: 1, open: () => Readable.from([Buffer.from("x")]) }] }, new Writable({ write(c, e, cb) { cb(); } }));
        console.log("no error");
      } catch (e) { console.log(e.code); }`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd(), env: { ...process.env, PATH: "/nonexistent" }, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED");
  });

  it("the builtin fallback is used when the tools are absent from PATH (reading still works)", () => {
    const script = `
      import { openArtifact } from "./artifacts/reader/open-artifact.ts";
      import { Readable } from "node:stream";
      import { readFileSync } from "node:fs";
      const a = await openArtifact(Readable.from([readFileSync("test/fixtures/artifacts/mender-samples/artifacts/rootfs-lzma-unsigned.mender")]));
      const s = await a.done();
      console.log(s.payloads[0].files[0].sha256);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd(), env: { ...process.env, PATH: "/nonexistent" }, encoding: "utf8" });
    expect(r.stdout.trim(), r.stderr).toBe("d3b76578dde43b516237f69ff3eb1764e14321a3efdfd9b7b5f7e20fadffc5a4");
  });

  it("a gzip artifact and a none artifact carry the same payload", async () => {
    const a = await readAll(craft({ gzip: true }));
    const b = await readAll(craft());
    expect(sha(a.files[0]!.data)).toBe(sha(b.files[0]!.data));
    expect((await readError(craft({ gzip: true, dataTar: (d) => d.subarray(0, d.length - 4) }))).code).toMatch(/DECOMPRESSION_FAILED|TRUNCATED/);
  });
});
