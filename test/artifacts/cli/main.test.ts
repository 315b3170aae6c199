// The ota-artifact command line: documented exit codes, write/read/validate/sign round trip, re-signing.
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readAll, runCli } from "../artifact-kit.js";
import { SAMPLE_ARTIFACTS, SAMPLE_INPUTS } from "../fixture-paths.js";

const dir = mkdtempSync(join(tmpdir(), "ota-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const INPUTS = SAMPLE_INPUTS;
const SAMPLES = SAMPLE_ARTIFACTS;
const p = (n: string) => join(dir, n);

const run = runCli;

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ed = generateKeyPairSync("ed25519");
writeFileSync(p("rsa.key"), rsa.privateKey.export({ type: "pkcs8", format: "pem" }));
writeFileSync(p("rsa.pub"), rsa.publicKey.export({ type: "spki", format: "pem" }));
writeFileSync(p("ed.key"), ed.privateKey.export({ type: "pkcs8", format: "pem" }));
writeFileSync(p("ed.pub"), ed.publicKey.export({ type: "spki", format: "pem" }));

describe("ota-artifact", () => {
  it("--help exits 0, no command exits 2, unknown option exits 2", async () => {
    expect((await run(["--help"])).code).toBe(0);
    expect((await run([])).code).toBe(2);
    const bad = await run(["validate", "x", "--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("OTA_ERR_USAGE");
  });

  it("write rootfs-image with mender-artifact flags, then read --json and validate -k", async () => {
    const w = await run(["write", "rootfs-image", "-n", "rel-9", "-t", "pi4", "-t", "pi5", "-f", `${INPUTS}/rootfs.ext4`, "-o", p("r.mender"), "-k", p("rsa.key"),
      "--compression", "lzma", "-N", "rel-8", "-g", "grp", "-G", "stable", "-s", `${INPUTS}/ArtifactInstall_Enter_00_demo`, "-p", "extra.key:v", "--no-progress"]);
    expect(w.code, w.err).toBe(0);
    const r = await run(["read", p("r.mender"), "--json", "-k", p("rsa.pub")]);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out) as { name: string; deviceTypes: string[]; compression: string; signature: { status: string }; scripts: Array<{ name: string }>; payloads: Array<{ provides: Record<string, string> }> };
    expect(json).toMatchObject({ name: "rel-9", deviceTypes: ["pi4", "pi5"], compression: "xz", signature: { status: "verified" } });
    expect(json.scripts.map((s) => s.name)).toEqual(["ArtifactInstall_Enter_00_demo"]);
    expect(json.payloads[0]!.provides["extra.key"]).toBe("v");
    expect((await run(["validate", p("r.mender"), "-k", p("rsa.pub")])).code).toBe(0);
    expect((await run(["validate", p("r.mender"), "-k", p("ed.pub")])).code).toBe(1);
  });

  it("validate exits 1 for an invalid artifact and 3 for a missing file", async () => {
    writeFileSync(p("junk.mender"), Buffer.alloc(2048, 7));
    const bad = await run(["validate", p("junk.mender")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^OTA_ERR_ARTIFACT_TAR_INVALID: /);
    expect((await run(["validate", p("missing.mender")])).code).toBe(3);
  });

  it("sign in place adds a signature; signing again replaces it (key rotation)", async () => {
    copyFileSync(`${SAMPLES}/rootfs-gzip-unsigned.mender`, p("s.mender"));
    chmodSync(p("s.mender"), 0o644);
    expect((await run(["sign", p("s.mender"), "-k", p("rsa.key")])).code).toBe(0);
    expect((await readAll(readFileSync(p("s.mender")), { verifyKeys: [readFileSync(p("rsa.pub"))] })).header.signature.algorithm).toBe("rsa");
    expect((await run(["sign", p("s.mender"), "-k", p("ed.key"), "-o", p("s2.mender")])).code).toBe(0);
    const r = await readAll(readFileSync(p("s2.mender")), { verifyKeys: [readFileSync(p("rsa.pub")), readFileSync(p("ed.pub"))] });
    expect(r.header.signature).toMatchObject({ status: "verified", keyIndex: 1, algorithm: "ed25519" });
  });

  it("write module-image and bootstrap-artifact; write with a bad name exits 2", async () => {
    writeFileSync(p("meta.json"), '{"k":"v"}');
    expect((await run(["write", "module-image", "-T", "single-file", "-n", "m-1", "-t", "pi4", "-f", `${INPUTS}/file1.txt`, "-m", p("meta.json"), "-o", p("m.mender"), "--compression", "zstd"])).code).toBe(0);
    expect((await readAll(readFileSync(p("m.mender")))).header.payloads[0]!.metaData).toEqual({ k: "v" });
    expect((await run(["write", "bootstrap-artifact", "-n", "b-1", "-t", "pi4", "-o", p("b.mender"), "-p", "rootfs-image.version:b-1"])).code).toBe(0);
    expect((await run(["write", "rootfs-image", "-n", "has space", "-t", "pi4", "-f", `${INPUTS}/file1.txt`, "-o", p("x.mender")])).code).toBe(2);
  });

  it("write rpi-ab-slot --sparse stores Android sparse images", async () => {
    const img = Buffer.alloc(64 * 1024);
    img.write("boot data", 0);
    writeFileSync(p("boot.img"), img);
    writeFileSync(p("system.img"), Buffer.alloc(128 * 1024, 1));
    expect((await run(["write", "rpi-ab-slot", "--boot", p("boot.img"), "--system", p("system.img"), "--sparse", "-n", "s-1", "-t", "pi5", "-o", p("rpi.mender")])).code).toBe(0);
    const r = await readAll(readFileSync(p("rpi.mender")));
    expect(r.files.map((f) => [f.name, f.data.readUInt32LE(0).toString(16)])).toEqual([["boot", "ed26ff3a"], ["system", "ed26ff3a"]]);
  });
});
