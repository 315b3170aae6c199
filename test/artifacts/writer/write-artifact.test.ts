// The writer: mender-artifact's member order, JSON bytes and defaults; bad options refused before any output.
import { execFileSync } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { writeArtifact } from "../../../artifacts/writer/write-artifact.js";
import { goJson } from "../../../artifacts/writer/go-json.js";
import { readAll, sha, writeToBuffer } from "../artifact-kit.js";
import { SAMPLE_INPUTS } from "../fixture-paths.js";

const INPUTS = SAMPLE_INPUTS;

function members(buf: Buffer): Array<{ name: string; mode: number; mtime: number; body: Buffer }> {
  const out = [];
  let pos = 0;
  while (pos + 512 <= buf.length && !buf.subarray(pos, pos + 512).every((b) => b === 0)) {
    const h = buf.subarray(pos, pos + 512);
    const name = h.subarray(0, 100).toString().replace(/\0.*$/s, "");
    const size = parseInt(h.subarray(124, 136).toString(), 8);
    out.push({ name, mode: parseInt(h.subarray(100, 108).toString(), 8), mtime: parseInt(h.subarray(136, 148).toString(), 8), body: buf.subarray(pos + 512, pos + 512 + size) });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  expect(buf.length).toBe(pos + 1024); // exactly two zero blocks, no record padding
  return out;
}

describe("writeArtifact", () => {
  it("writes rootfs-image members, version bytes, manifest order and header JSON like mender-artifact", async () => {
    const buf = await writeToBuffer({ kind: "rootfs-image", name: "a&b<c>", deviceTypes: ["pi4"], compression: "none", files: [{ name: "rootfs.ext4", path: `${INPUTS}/rootfs.ext4` }], providesGroup: "g" });
    const m = members(buf);
    expect(m.map((x) => x.name)).toEqual(["version", "manifest", "header.tar", "data/0000.tar"]);
    expect(m[0]!.body.toString()).toBe('{"format":"mender","version":3}');
    expect(sha(m[0]!.body)).toBe("96bcd965947569404798bcbdb614f103db5a004eb6e364cfc162c146890ea35b");
    expect(m[0]).toMatchObject({ mode: 0o600, mtime: 0 });
    const lines = m[1]!.body.toString().split("\n");
    expect(lines.map((l) => l.slice(66))).toEqual(["data/0000/rootfs.ext4", "header.tar", "version", ""]);
    const header = members(m[2]!.body);
    expect(header.map((x) => x.name)).toEqual(["header-info", "headers/0000/type-info", "headers/0000/meta-data"]);
    expect(header[0]!.body.toString()).toBe('{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"a\\u0026b\\u003cc\\u003e","artifact_group":"g"},"artifact_depends":{"device_type":["pi4"]}}');
    const rootfsSha = execFileSync("sha256sum", [`${INPUTS}/rootfs.ext4`], { encoding: "utf8" }).slice(0, 64);
    expect(header[1]!.body.toString()).toBe(`{"type":"rootfs-image","artifact_provides":{"rootfs-image.checksum":"${rootfsSha}","rootfs-image.version":"a\\u0026b\\u003cc\\u003e"},"clears_artifact_provides":["artifact_group","rootfs_image_checksum","rootfs-image.*"]}`);
    expect(header[2]!.body.length).toBe(0);
  });

  it("module-image: software name/version, sorted provides, meta-data re-marshalled with sorted keys", async () => {
    const buf = await writeToBuffer({
      kind: "module-image", payloadType: "single-file", name: "mod-1", deviceTypes: ["pi4"], compression: "none",
      files: [{ name: "f.txt", size: 2, open: () => Readable.from([Buffer.from("hi")]) }],
      softwareName: "app", softwareVersion: "1.2.3", provides: { "z.k": "1", "a.k": "2" }, metaData: { b: [1, "x"], a: { d: 1, c: 2 } },
    });
    const header = members(members(buf)[2]!.body);
    expect(header[1]!.body.toString()).toBe('{"type":"single-file","artifact_provides":{"a.k":"2","rootfs-image.app.version":"1.2.3","z.k":"1"},"clears_artifact_provides":["rootfs-image.app.*"]}');
    expect(header[2]!.body.toString()).toBe('{"a":{"c":2,"d":1},"b":[1,"x"]}');
  });

  it("bootstrap-artifact: null type, no meta-data, empty data tar", async () => {
    const buf = await writeToBuffer({ kind: "bootstrap-artifact", name: "b-1", deviceTypes: ["pi4"], compression: "none" });
    const m = members(buf);
    const header = members(m[2]!.body);
    expect(header.map((x) => x.name)).toEqual(["header-info", "headers/0000/type-info"]);
    expect(header[1]!.body.toString()).toBe('{"type":null}');
    expect(m[3]!.body.equals(Buffer.alloc(1024))).toBe(true);
    expect((await readAll(buf)).header.payloads[0]!.type).toBeNull();
  });

  it.each([
    ["name-with-space", { name: "a b" }],
    ["no-device-type", { deviceTypes: [] }],
    ["bad-payload-file-name", { files: [{ name: "../x", path: `${INPUTS}/file1.txt` }] }],
    ["rootfs-two-files", { files: [{ name: "a", path: `${INPUTS}/file1.txt` }, { name: "b", path: `${INPUTS}/file2.bin` }] }],
    ["bad-script-name", { scripts: [{ name: "Download_Enter_00", content: Buffer.from("x") }] }],
  ])("%s is refused without writing output", async (_n, override) => {
    let wrote = 0;
    const sink = new Writable({ write(c: Buffer, _e, cb) { wrote += c.length; cb(); } });
    await expect(writeArtifact({ kind: "rootfs-image", name: "ok", deviceTypes: ["pi4"], files: [{ name: "rootfs.ext4", path: `${INPUTS}/file1.txt` }], ...override }, sink)).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_WRITE_INVALID" });
    expect(wrote).toBe(0);
  });

  it("a payload stream shorter than its declared size fails", async () => {
    await expect(writeToBuffer({ kind: "module-image", payloadType: "t", name: "n", deviceTypes: ["d"], files: [{ name: "f", size: 10, open: () => Readable.from([Buffer.from("abc")]) }] }))
      .rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_IO" });
  });

  it("goJson escapes like Go's encoding/json", () => {
    expect(goJson({ a: "<&>\u2028" })).toBe('{"a":"\\u003c\\u0026\\u003e\\u2028"}');
  });
});

describe("writeArtifact output failures", () => {
  it("output-disk-full: a failing output is OTA_ERR_ARTIFACT_IO with the cause", async () => {
    const full = new Writable({ write(_c, _e, cb) { cb(Object.assign(new Error("no space left on device"), { code: "ENOSPC" })); } });
    const err = await writeArtifact({ kind: "bootstrap-artifact", name: "b", deviceTypes: ["pi4"] }, full).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OTA_ERR_ARTIFACT_IO" });
    expect((err as Error).message).toContain("no space left");
  });
});
