// The streaming reader: samples from mender-artifact, payload streaming, signature policy, depends checks.
import { createReadStream, readFileSync, readdirSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openArtifact } from "../../../artifacts/reader/open-artifact.js";
import { craft, GOOD_FILE, readAll, readError, sha, testKeys } from "../artifact-kit.js";
import { SAMPLES } from "../fixture-paths.js";

const samples = readdirSync(`${SAMPLES}/artifacts`).filter((f) => f.endsWith(".mender"));
const key = (name: string) => readFileSync(`${SAMPLES}/keys/${name}-public.pem`, "utf8");
const keyFor = (f: string) => (f.includes("rsa") ? [key("rsa")] : f.includes("ecdsa") ? [key("ecdsa")] : []);
const ROOTFS_SHA = sha(readFileSync(`${SAMPLES}/inputs/rootfs.ext4`));

describe("openArtifact on mender-artifact 3.9 samples", () => {
  it.each(samples)("reads and verifies %s", async (f) => {
    const buf = readFileSync(`${SAMPLES}/artifacts/${f}`);
    const { header, files, summary } = await readAll(buf, { verifyKeys: keyFor(f) });
    expect(header.signature.status).toBe(keyFor(f).length > 0 ? "verified" : "unsigned");
    if (f.startsWith("rootfs")) {
      expect(header.payloads[0]!.type).toBe("rootfs-image");
      expect(files.map((x) => x.name)).toEqual(["rootfs.ext4"]);
      expect(sha(files[0]!.data)).toBe(ROOTFS_SHA);
    }
    if (f.startsWith("bootstrap")) expect(header.payloads[0]!.type).toBeNull();
    expect(summary.name).toBe(header.name);
  });

  it.each(samples.filter((f) => keyFor(f).length > 0))("refuses %s with the wrong key", async (f) => {
    const wrong = f.includes("rsa") ? [key("ecdsa")] : [key("rsa")];
    const err = await readError(readFileSync(`${SAMPLES}/artifacts/${f}`), { verifyKeys: wrong });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });

  it("exposes header-info depends, provides group and state scripts of the RSA sample", async () => {
    const { header } = await readAll(readFileSync(`${SAMPLES}/artifacts/rootfs-gzip-rsa.mender`), { verifyKeys: [key("rsa")] });
    expect(header.name).toBe("release-2");
    expect(header.group).toBe("fix");
    expect(header.deviceTypes).toEqual(["qemux86-64", "raspberrypi4"]);
    expect(header.dependsArtifactNames).toEqual(["release-1"]);
    expect(header.dependsGroups).toEqual(["stable"]);
    expect(header.scripts.map((s) => s.name)).toEqual(["ArtifactInstall_Enter_00_demo", "ArtifactCommit_Leave_50"]);
    expect(header.scripts[0]!.content.toString()).toContain("install-enter");
    expect(header.payloads[0]!.provides["rootfs-image.checksum"]).toBe(ROOTFS_SHA);
  });

  it("accepts the empty type-info type of mender-artifact rootfs-image artifacts", async () => {
    const { header } = await readAll(readFileSync(`${SAMPLES}/artifacts/rootfs-gzip-unsigned.mender`));
    expect(header.payloads[0]!.typeInfo.type).toBe("");
    expect(header.payloads[0]!.type).toBe("rootfs-image");
  });

  it("exposes the module meta-data, depends and clears of the module sample", async () => {
    const { header, files } = await readAll(readFileSync(`${SAMPLES}/artifacts/module-none-unsigned.mender`));
    expect(header.payloads[0]!.metaData).toEqual({ key1: "value1", num: 42, list: ["a", "b"] });
    expect(header.payloads[0]!.depends).toEqual({ "custom.dep": "xyz" });
    expect(header.payloads[0]!.clearsProvides).toEqual(["foo.*", "rootfs-image.single-file.*"]);
    expect(files.map((f) => f.data.toString())).toEqual(["hello mender\n", "second file\n"]);
  });

  it("exposes the augmented header and streams the augment files", async () => {
    const { header, files } = await readAll(readFileSync(`${SAMPLES}/artifacts/augmented-none-unsigned.mender`));
    expect(header.augment?.payloads[0]!.type).toBe("mender-binary-delta");
    expect(header.augment?.manifest.map((e) => e.path)).toContain("data/0000/file2.bin");
    expect(files.map((f) => f.name)).toEqual(["file1.txt", "file2.bin"]);
  });
});

describe("payload streaming", () => {
  it("streams a file from a real file stream and verifies it at the end", async () => {
    const a = await openArtifact(createReadStream(`${SAMPLES}/artifacts/rootfs-none-unsigned.mender`, { highWaterMark: 7000 }));
    let bytes = 0;
    for await (const p of a.payloads()) for await (const f of p.files) for await (const c of f.stream) bytes += (c as Buffer).length;
    expect(bytes).toBe(1048576);
    const s = await a.done();
    expect(s.payloads[0]!.files[0]!.sha256).toBe(ROOTFS_SHA);
  });

  it("done() drains and checks files the caller skipped", async () => {
    const bad = craft({ dataTar: (d) => Buffer.from(d.toString("latin1").replace("payload-bytes", "PAYLOAD-bytes"), "latin1") });
    const a = await openArtifact(Readable.from([bad]));
    await expect(a.done()).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", details: { member: "data/0000/rootfs.ext4" } });
  });

  it("a checksum mismatch errors the file's stream before it ends", async () => {
    const bad = craft({ dataTar: (d) => Buffer.from(d.toString("latin1").replace("payload-bytes", "PAYLOAD-bytes"), "latin1") });
    const a = await openArtifact(Readable.from([bad]));
    const it = a.payloads()[Symbol.asyncIterator]();
    const p = (await it.next()).value!;
    const f = (await p.files[Symbol.asyncIterator]().next()).value!;
    let ended = false;
    f.stream.on("end", () => (ended = true));
    await expect((async () => { for await (const _c of f.stream) { /* consume */ } })()).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH" });
    expect(ended).toBe(false);
  });

  it("reads a crafted gzip artifact with several files, one byte at a time", async () => {
    const files = [
      { name: "a.bin", body: Buffer.from("A".repeat(1000)) },
      { name: "b.bin", body: Buffer.alloc(0) },
      { name: "c,d.bin", body: GOOD_FILE },
    ];
    const buf = craft({ gzip: true, files, headerInfo: { payloads: [{ type: "x" }], artifact_provides: { artifact_name: "m" }, artifact_depends: { device_type: ["pi4"] } }, typeInfo: { type: "x" } });
    const r = await readAll(buf, {}, 1);
    expect(r.files.map((f) => [f.name, f.data.length])).toEqual([["a.bin", 1000], ["b.bin", 0], ["c,d.bin", GOOD_FILE.length]]);
  });
});

describe("verification policy", () => {
  const keys = testKeys();

  it("refuses an unsigned artifact when verify keys are configured, before any payload", async () => {
    await expect(openArtifact(Readable.from([craft()]), { verifyKeys: [keys.rsa.publicKey] })).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_SIGNATURE_MISSING" });
  });

  it("refuses an unsigned artifact with requireSignature and no keys", async () => {
    expect((await readError(craft(), { requireSignature: true })).code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_MISSING");
  });

  it("reports a signature it cannot check as unverified when no keys are configured", async () => {
    const { header } = await readAll(craft({ signWith: keys.ec.privateKey }));
    expect(header.signature.status).toBe("unverified");
  });

  it.each(["rsa", "ec", "ed"] as const)("verifies %s signatures and tries keys in order (rotation)", async (k) => {
    const buf = craft({ signWith: keys[k].privateKey });
    const others = (["rsa", "ec", "ed"] as const).filter((x) => x !== k).map((x) => keys[x].publicKey);
    const { header } = await readAll(buf, { verifyKeys: [...others, keys[k].publicKey] });
    expect(header.signature).toMatchObject({ status: "verified", keyIndex: 2 });
  });

  it("accepts a DER-encoded ECDSA signature", async () => {
    const { sign } = await import("node:crypto");
    const probe = craft();
    const manifest = (() => {
      // The manifest is the second member: its header at 1024, its body at 1536.
      const size = parseInt(probe.subarray(1024 + 124, 1024 + 135).toString(), 8);
      return probe.subarray(1536, 1536 + size);
    })();
    const der = sign("sha256", manifest, { key: keys.ec.privateKey, dsaEncoding: "der" }).toString("base64");
    const { header } = await readAll(craft({ sigOverride: Buffer.from(der) }), { verifyKeys: [keys.ec.publicKey] });
    expect(header.signature.algorithm).toBe("ecdsa");
  });

  it("signature-tampered: a flipped signature byte is refused", async () => {
    const sig = Buffer.from(craft({ signWith: keys.rsa.privateKey }).toString("latin1").match(/manifest\.sig[\s\S]*?\0{100,}([A-Za-z0-9+/=]{100,})/)?.[1] ?? "", "latin1");
    expect(sig.length).toBeGreaterThan(100);
    const flipped = Buffer.from(sig);
    flipped[10] = flipped[10] === 0x41 ? 0x42 : 0x41;
    expect((await readError(craft({ sigOverride: flipped }), { verifyKeys: [keys.rsa.publicKey] })).code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });

  it("manifest-tampered-after-signing: changing the manifest breaks the signature", async () => {
    const good = craft({ signWith: keys.rsa.privateKey });
    expect((await readAll(good, { verifyKeys: [keys.rsa.publicKey] })).header.signature.status).toBe("verified");
    const bodyOffset = 1536; // first hex digit of the manifest body
    const evil = Buffer.from(good);
    evil[bodyOffset] = evil[bodyOffset] === 0x61 ? 0x62 : 0x61;
    const err = await readError(evil, { verifyKeys: [keys.rsa.publicKey] });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });
});

describe("compatibility checks", () => {
  const info = { payloads: [{ type: "rootfs-image" }], artifact_provides: { artifact_name: "rel-2" }, artifact_depends: { device_type: ["pi4", "pi5"], artifact_name: ["rel-1"], artifact_group: ["stable"] } };
  const typeInfo = { type: "rootfs-image", artifact_depends: { "rootfs-image.checksum": "abc" } };
  const buf = craft({ headerInfo: info, typeInfo });

  it("wrong-device-type is refused before payloads", async () => {
    await expect(openArtifact(Readable.from([buf]), { deviceType: "pi3" })).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH" });
  });

  it("accepts a matching device and satisfied depends", async () => {
    const r = await readAll(buf, { deviceType: "pi5", installed: { name: "rel-1", group: "stable", provides: { "rootfs-image.checksum": "abc" } } });
    expect(r.header.name).toBe("rel-2");
  });

  it.each([
    ["installed-name-not-in-depends", { name: "rel-0", group: "stable", provides: { "rootfs-image.checksum": "abc" } }],
    ["installed-group-not-in-depends", { name: "rel-1", group: "beta", provides: { "rootfs-image.checksum": "abc" } }],
    ["type-info-depends-provide-missing", { name: "rel-1", group: "stable", provides: {} }],
    ["type-info-depends-provide-differs", { name: "rel-1", group: "stable", provides: { "rootfs-image.checksum": "def" } }],
  ])("%s is refused", async (_n, installed) => {
    await expect(openArtifact(Readable.from([buf]), { deviceType: "pi4", installed })).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_DEPENDS_UNSATISFIED" });
  });
});
