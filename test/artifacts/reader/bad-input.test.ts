// Bad input: every malformed artifact gets its own ArtifactError code and a message naming the member and the fault.
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { openArtifact } from "../../../artifacts/reader/open-artifact.js";
import { craft, readAll, readError, sha, tar, type Member } from "../artifact-kit.js";

const good = craft();
const goodGz = craft({ gzip: true });

/** Offsets where one outer member ends and the next begins (and inside each member). */
function memberBoundaries(buf: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + 512 <= buf.length) {
    const block = buf.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(block.subarray(124, 136).toString("latin1").replace(/\0/g, ""), 8);
    out.push(pos);
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  out.push(pos);
  return out;
}

describe("artifact-truncated", () => {
  it.each([["none", good], ["gzip", goodGz]] as const)("at every member boundary and inside every member (%s)", async (_c, buf) => {
    const cuts = new Set<number>();
    for (const b of memberBoundaries(buf)) {
      cuts.add(b);
      cuts.add(b + 100);
      cuts.add(b + 600);
    }
    cuts.add(buf.length - 512);
    cuts.add(buf.length - 1);
    // And a cut every 61 bytes, so every header, body and padding region of every member is cut somewhere.
    for (let c = 1; c < buf.length; c += 61) cuts.add(c);
    for (const cut of [...cuts].filter((c) => c > 0 && c < buf.length)) {
      const err = await readError(buf.subarray(0, cut));
      // Always the truncation code (never a decompression or tar-format error), and the message says where.
      expect(err.code, `cut at ${cut}`).toBe("OTA_ERR_ARTIFACT_TRUNCATED");
      expect(err.message, `cut at ${cut}`).toMatch(/(version|manifest|header\.tar(\.gz)?|data\/0000\.tar(\.gz)?|before the first member)\b/);
    }
  });

  it("artifact-truncated-in-data names the data member", async () => {
    const b = memberBoundaries(good);
    const err = await readError(good.subarray(0, b[3]! + 700));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_TRUNCATED" });
    expect(String(err.details.member)).toMatch(/^data\/0000\.tar/);
  });
});

describe("structure", () => {
  const swap = (a: number, b: number) => (m: Member[]) => {
    const c = [...m];
    [c[a], c[b]] = [c[b]!, c[a]!];
    return c;
  };
  it.each([
    ["manifest-before-version", swap(0, 1), "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["data-before-header", swap(2, 3), "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["version-repeated", (m: Member[]) => [m[0]!, m[1]!, m[0]!, ...m.slice(2)], "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["unknown-member-before-header", (m: Member[]) => [m[0]!, m[1]!, { name: "extra", body: Buffer.from("x") }, ...m.slice(2)], "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["member-after-last-payload", (m: Member[]) => [...m, { name: "trailer", body: Buffer.from("x") }], "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["data-index-skips", (m: Member[]) => [...m.slice(0, 3), { ...m[3]!, name: "data/0001.tar" }], "OTA_ERR_ARTIFACT_MEMBER_ORDER"],
    ["absolute-member-name", (m: Member[]) => [...m.slice(0, 3), { ...m[3]!, name: "/data/0000.tar" }], "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE"],
    ["dotdot-member-name", (m: Member[]) => [...m.slice(0, 3), { ...m[3]!, name: "data/../0000.tar" }], "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE"],
    ["header-unknown-compression", (m: Member[]) => [m[0]!, m[1]!, { ...m[2]!, name: "header.tar.bz2" }, m[3]!], "OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED"],
  ])("%s", async (_name, outer, code) => {
    const err = await readError(craft({ outer }));
    expect(err.code).toBe(code);
  });

  it("payload-file-dotdot-name is refused before its bytes flow", async () => {
    const err = await readError(craft({ files: [{ name: "../evil", body: Buffer.from("x") }] }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE");
  });

  it("payload-file-absolute-name is refused", async () => {
    expect((await readError(craft({ files: [{ name: "/etc/passwd", body: Buffer.from("x") }] }))).code).toBe("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE");
  });

  it("payload-file-in-subdirectory is refused", async () => {
    expect((await readError(craft({ files: [{ name: "sub/file", body: Buffer.from("x") }] }))).code).toBe("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE");
  });

  it("payload-file-twice is refused", async () => {
    const f = { name: "rootfs.ext4", body: Buffer.from("x") };
    const err = await readError(craft({ files: [f, f], manifest: (m) => m.split("\n").filter((l, i, a) => a.indexOf(l) === i).join("\n") }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_DUPLICATE_FILE");
  });

  it("garbage-after-end-marker is refused", async () => {
    const err = await readError(Buffer.concat([good, Buffer.from("garbage")]));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_TAR_INVALID");
  });

  it("record-padding-after-end-marker is accepted (Python tarfile pads to 10240)", async () => {
    const padded = Buffer.concat([good, Buffer.alloc(10240 - (good.length % 10240))]);
    expect((await readAll(padded)).header.name).toBe("rel-1");
  });

  it("tar-header-checksum-wrong is refused", async () => {
    const bad = Buffer.from(good);
    bad[0] = 0x56; // 'V' instead of 'v' in "version"
    expect((await readError(bad)).code).toBe("OTA_ERR_ARTIFACT_TAR_INVALID");
  });
});

describe("version and manifest", () => {
  it.each([
    ["version-2", Buffer.from('{"format":"mender","version":2}'), "OTA_ERR_ARTIFACT_VERSION_INVALID"],
    ["version-extra-key", Buffer.from('{"format":"mender","version":3,"x":1}'), "OTA_ERR_ARTIFACT_VERSION_INVALID"],
    ["version-bad-json", Buffer.from('{"format":"mender",'), "OTA_ERR_ARTIFACT_JSON_INVALID"],
  ])("%s", async (_n, version, code) => {
    expect((await readError(craft({ version }))).code).toBe(code);
  });

  it("manifest-without-final-newline is refused", async () => {
    const err = await readError(craft({ manifest: (m) => m.slice(0, -1) }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_MANIFEST_INVALID", details: { member: "manifest" } });
  });

  it("manifest-bad-line is refused", async () => {
    expect((await readError(craft({ manifest: (m) => `${m}not a line\n` }))).code).toBe("OTA_ERR_ARTIFACT_MANIFEST_INVALID");
  });

  it("manifest-uppercase-hex is refused", async () => {
    expect((await readError(craft({ manifest: (m) => m.replace(/^[0-9a-f]{64}/, (h) => h.toUpperCase().replace(/[0-9]/g, "A")) }))).code).toBe("OTA_ERR_ARTIFACT_MANIFEST_INVALID");
  });

  it("manifest-missing-payload-entry is refused before the file's bytes flow", async () => {
    const err = await readError(craft({ manifest: (m) => m.split("\n").filter((l) => !l.includes("data/")).join("\n") }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING", details: { member: "data/0000/rootfs.ext4" } });
  });

  it("manifest-missing-header-entry is refused", async () => {
    expect((await readError(craft({ manifest: (m) => m.split("\n").filter((l) => !l.includes("header.tar")).join("\n") }))).code).toBe("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING");
  });

  it("manifest-extra-data-entry is refused at the end", async () => {
    const err = await readError(craft({ manifest: (m) => `${m}${sha("x")}  data/0000/ghost.bin\n` }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED", details: { member: "data/0000/ghost.bin" } });
  });

  it("manifest-entry-for-unknown-member is refused before payloads", async () => {
    await expect(openArtifact(Readable.from([craft({ manifest: (m) => `${m}${sha("x")}  other\n` })]))).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED" });
  });

  it("header-checksum-mismatch is refused before the header is parsed", async () => {
    // A header that is not the one the manifest names: its tar would parse, but it must never be parsed.
    const err = await readError(craft({ manifest: (m) => m.replace(/^[0-9a-f]{64}(?=  header\.tar)/m, sha("other header")) }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", details: { member: "header.tar" } });
  });

  it("version-checksum-mismatch is refused", async () => {
    const err = await readError(craft({ manifest: (m) => m.replace(/^[0-9a-f]{64}(?=  version)/m, sha("other")) }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", details: { member: "version" } });
  });

  it("payload-checksum-mismatch names the file", async () => {
    const err = await readError(craft({ manifest: (m) => m.replace(/^[0-9a-f]{64}(?=  data)/m, sha("other")) }));
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", details: { member: "data/0000/rootfs.ext4" } });
  });
});

describe("header contents", () => {
  const hi = (extra: Record<string, unknown>) => ({ payloads: [{ type: "rootfs-image" }], artifact_provides: { artifact_name: "a" }, artifact_depends: { device_type: ["pi4"] }, ...extra });
  it.each([
    ["header-info-unknown-key", { headerInfo: hi({ surprise: 1 }) }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["header-info-no-device-type", { headerInfo: { payloads: [{ type: "x" }], artifact_provides: { artifact_name: "a" }, artifact_depends: {} } }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["header-info-empty-name", { headerInfo: hi({ artifact_provides: { artifact_name: "" } }) }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["header-info-empty-type", { headerInfo: hi({ payloads: [{ type: "" }] }) }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["header-info-not-object", { headerInfo: [1, 2] }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["type-info-type-mismatch", { typeInfo: { type: "single-file" } }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["type-info-provides-not-string", { typeInfo: { type: "rootfs-image", artifact_provides: { a: 1 } } }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["meta-data-not-object", { metaData: Buffer.from("[1]") }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["meta-data-bad-json", { metaData: Buffer.from("{") }, "OTA_ERR_ARTIFACT_JSON_INVALID"],
    ["header-unknown-file", { headerExtra: [{ name: "headers/0000/surprise", body: Buffer.from("x") }] }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
    ["header-dotdot-name", { headerExtra: [{ name: "headers/../../etc/x", body: Buffer.from("x") }] }, "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE"],
    ["script-bad-name", { scripts: [{ name: "scripts/Idle_Enter_00", body: Buffer.from("#!/bin/sh\n") }] }, "OTA_ERR_ARTIFACT_HEADER_INVALID"],
  ])("%s", async (_n, c, code) => {
    expect((await readError(craft(c as Parameters<typeof craft>[0]))).code).toBe(code);
  });

  it("header-info-bad-json is refused", async () => {
    const err = await readError(craft({ headerTarRaw: () => tar([{ name: "header-info", body: Buffer.from("{oops") }]) }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_JSON_INVALID");
    expect(err.message).toContain("header-info");
  });

  it("header-dir-before-header-info is refused", async () => {
    const err = await readError(craft({ headerTarRaw: () => tar([{ name: "headers/", body: Buffer.alloc(0), typeflag: "5" }, { name: "header-info", body: Buffer.from("{}") }]) }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_MEMBER_ORDER");
  });

  it("oversized-header is refused by the configured limit", async () => {
    const big = craft({ scripts: [{ name: "scripts/ArtifactInstall_Enter_00", body: Buffer.alloc(300_000, 0x41) }] });
    expect((await readError(big, { limits: { maxHeaderBytes: 100_000 } })).code).toBe("OTA_ERR_ARTIFACT_TOO_LARGE");
    expect((await readError(big, { limits: { maxScriptBytes: 1000 } })).code).toBe("OTA_ERR_ARTIFACT_TOO_LARGE");
  });

  it("header-decompression-bomb is bounded by maxHeaderBytes", async () => {
    // A valid header-info first, so the reader really reaches the 50 MiB of zeros (an invalid one would stop it earlier).
    const info = Buffer.from(JSON.stringify(hi({})));
    const inner = tar([{ name: "header-info", body: info }, { name: "scripts/ArtifactInstall_Enter_00", body: Buffer.alloc(50 * 1024 * 1024) }]);
    const err = await readError(craft({ gzip: true, headerTarRaw: () => gzipSync(inner) }), { limits: { maxHeaderBytes: 1024 * 1024, maxScriptBytes: 64 * 1024 * 1024 } });
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_TOO_LARGE", details: { member: "header.tar.gz" } });
  });

  it("payload-file-over-limit is refused", async () => {
    expect((await readError(craft(), { limits: { maxPayloadFileBytes: 100 } })).code).toBe("OTA_ERR_ARTIFACT_TOO_LARGE");
  });
});

describe("data member", () => {
  it("data-decompression-bomb: zeros after the data tar's end are bounded", async () => {
    const bomb = () => gzipSync(Buffer.concat([tar([{ name: "rootfs.ext4", body: Buffer.from("payload-bytes ".repeat(300)) }]), Buffer.alloc(64 * 1024 * 1024)]));
    const err = await readError(craft({ gzip: true, dataTar: bomb }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_DECOMPRESSION_BOMB");
  });

  it("data-corrupt-gzip is refused", async () => {
    const err = await readError(craft({ gzip: true, dataTar: (d) => Buffer.concat([d.subarray(0, 20), Buffer.alloc(d.length - 20, 0x55)]) }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_DECOMPRESSION_FAILED");
    expect(String(err.details.member)).toBe("data/0000.tar.gz");
  });

  it("data-tar-with-symlink is refused", async () => {
    const raw = tar([{ name: "rootfs.ext4", body: Buffer.from("x") }]);
    raw[156] = "2".charCodeAt(0);
    // fix the header checksum after changing the typeflag
    raw.write("        ", 148, "latin1");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += raw[i]!;
    raw.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
    expect((await readError(craft({ dataTar: () => raw }))).code).toBe("OTA_ERR_ARTIFACT_TAR_INVALID");
  });

  it("bootstrap-without-data-member is accepted", async () => {
    const buf = craft({
      headerInfo: { payloads: [{ type: null }], artifact_provides: { artifact_name: "b" }, artifact_depends: { device_type: ["pi4"] } },
      typeInfo: { type: null },
      files: [],
      outer: (m) => m.slice(0, 3),
    });
    expect((await readAll(buf)).header.payloads[0]!.type).toBeNull();
  });

  it("rootfs-without-data-member is refused", async () => {
    const err = await readError(craft({ files: [], outer: (m) => m.slice(0, 3) }));
    expect(err.code).toBe("OTA_ERR_ARTIFACT_MEMBER_ORDER");
  });
});
