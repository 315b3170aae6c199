// Interop both ways with the real mender-artifact tool: its validate accepts ours, ours accepts and verifies its output.
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signArtifact } from "../../../artifacts/writer/sign-artifact.js";
import { writeArtifact, type WriteOptions } from "../../../artifacts/writer/write-artifact.js";
import { rpiAbSlotWriteOptions } from "../../../artifacts/rpi/rpi-ab-slot.js";
import { readAll, readError, sha } from "../artifact-kit.js";
import { generateKeyPairSync } from "node:crypto";
import { SAMPLE_INPUTS } from "../fixture-paths.js";

const hasTool = spawnSync("mender-artifact", ["--version"]).status === 0;
const INPUTS = SAMPLE_INPUTS;

describe.skipIf(!hasTool)("interop with mender-artifact (skipped only when the mender-artifact binary is not installed)", () => {
  let dir = "";
  const k = {
    rsa: generateKeyPairSync("rsa", { modulusLength: 3072 }),
    ec: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  };
  const file = (n: string) => join(dir, n);
  const validate = (path: string, key?: string) => spawnSync("mender-artifact", ["validate", path, ...(key !== undefined ? ["-k", key] : [])], { encoding: "utf8" });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ota-interop-"));
    // mender-artifact 3.9 parses RSA keys only as PKCS#1 and EC keys as SEC1.
    writeFileSync(file("rsa.key"), k.rsa.privateKey.export({ type: "pkcs1", format: "pem" }));
    writeFileSync(file("rsa.pub"), k.rsa.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(file("ec.key"), k.ec.privateKey.export({ type: "sec1", format: "pem" }));
    writeFileSync(file("ec.pub"), k.ec.publicKey.export({ type: "spki", format: "pem" }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ours = async (name: string, options: WriteOptions) => {
    await writeArtifact(options, createWriteStream(file(name)));
    return file(name);
  };

  describe("ours → mender-artifact validate", () => {
    it.each([
      ["gzip", "rsa"], ["xz", "rsa"], ["none", "rsa"], ["gzip", "ec"], ["xz", "ec"], ["none", "ec"],
    ] as const)("rootfs-image, %s, %s-signed", async (compression, alg) => {
      const path = await ours(`r-${compression}-${alg}.mender`, {
        kind: "rootfs-image", name: "rel-2", deviceTypes: ["qemux86-64", "pi4"], compression,
        files: [{ name: "rootfs.ext4", path: `${INPUTS}/rootfs.ext4` }], signingKey: k[alg].privateKey,
        scripts: [{ name: "ArtifactInstall_Enter_00_demo", path: `${INPUTS}/ArtifactInstall_Enter_00_demo` }],
        providesGroup: "fix", dependsArtifactNames: ["rel-1"], dependsGroups: ["stable"],
      });
      const ok = validate(path, file(`${alg}.pub`));
      expect(ok.status, ok.stderr + ok.stdout).toBe(0);
      const wrong = validate(path, file(alg === "rsa" ? "ec.pub" : "rsa.pub"));
      expect(wrong.status).not.toBe(0);
      const read = execFileSync("mender-artifact", ["read", path, "-k", file(`${alg}.pub`)], { encoding: "utf8" });
      expect(read).toContain("signed and verified correctly");
      expect(read).toContain(`rootfs-image.checksum: ${sha(readFileSync(`${INPUTS}/rootfs.ext4`))}`);
      expect(read).toContain("ArtifactInstall_Enter_00_demo");
    });

    it("module-image with meta-data, provides, depends and clears", async () => {
      const path = await ours("m.mender", {
        kind: "module-image", payloadType: "single-file", name: "mod-1", deviceTypes: ["qemux86-64"],
        files: [{ name: "file1.txt", path: `${INPUTS}/file1.txt` }, { name: "file2.bin", path: `${INPUTS}/file2.bin` }],
        metaData: { key1: "value1", num: 42, list: ["a", "b"] }, provides: { "custom.key": "abc" }, depends: { "custom.dep": "xyz" },
        clearsProvides: ["foo.*"], compression: "none",
      });
      expect(validate(path).status).toBe(0);
      const read = execFileSync("mender-artifact", ["read", path], { encoding: "utf8" });
      expect(read).toContain("rootfs-image.single-file.version: mod-1");
      expect(read).toContain('Clears Provides: ["foo.*", "rootfs-image.single-file.*"]');
      expect(read).toContain('"num": 42');
    });

    it("bootstrap-artifact", async () => {
      const path = await ours("b.mender", { kind: "bootstrap-artifact", name: "boot-1", deviceTypes: ["pi4"], provides: { "rootfs-image.version": "boot-1" } });
      expect(validate(path).status).toBe(0);
      expect(execFileSync("mender-artifact", ["read", path], { encoding: "utf8" })).toContain("Empty type");
    });

    it("rpi-ab-slot module-image", async () => {
      const path = await ours("rpi.mender", rpiAbSlotWriteOptions({
        name: "rpi-1", deviceTypes: ["pi5"], signingKey: k.ec.privateKey,
        files: [{ name: "boot", path: `${INPUTS}/file1.txt` }, { name: "system", path: `${INPUTS}/rootfs.ext4` }],
      }));
      expect(validate(path, file("ec.pub")).status).toBe(0);
      const read = execFileSync("mender-artifact", ["read", path, "-k", file("ec.pub")], { encoding: "utf8" });
      expect(read).toContain("Type:   rpi-ab-slot");
      expect(read).toContain(`rpi-ab-slot.system.sha256: ${sha(readFileSync(`${INPUTS}/rootfs.ext4`))}`);
    });

    it("ota-artifact sign output validates with mender-artifact, every other member unchanged", async () => {
      const unsigned = await ours("u.mender", { kind: "rootfs-image", name: "u-1", deviceTypes: ["pi4"], files: [{ name: "rootfs.ext4", path: `${INPUTS}/rootfs.ext4` }] });
      await signArtifact(createReadStream(unsigned), k.rsa.privateKey, createWriteStream(file("s.mender")));
      expect(validate(file("s.mender"), file("rsa.pub")).status).toBe(0);
      const list = (p: string) => execFileSync("tar", ["-tf", p], { encoding: "utf8" }).trim().split("\n");
      expect(list(file("s.mender"))).toEqual(["version", "manifest", "manifest.sig", "header.tar.gz", "data/0000.tar.gz"]);
      for (const m of ["version", "manifest", "header.tar.gz", "data/0000.tar.gz"]) {
        const a = execFileSync("tar", ["-xOf", unsigned, m]);
        const b = execFileSync("tar", ["-xOf", file("s.mender"), m]);
        expect(sha(b), m).toBe(sha(a));
      }
    });
  });

  describe("mender-artifact → ours", () => {
    it.each([
      ["gzip", "rsa"], ["lzma", "ec"], ["none", "rsa"],
    ] as const)("rootfs-image %s %s-signed reads, verifies, and fails with the wrong key", async (compression, alg) => {
      const out = file(`ma-${compression}-${alg}.mender`);
      execFileSync("mender-artifact", ["write", "rootfs-image", "-n", "ma-1", "-t", "pi4", "-f", `${INPUTS}/rootfs.ext4`, "-o", out, "-k", file(`${alg}.key`), "--compression", compression, "--no-progress"]);
      const r = await readAll(readFileSync(out), { verifyKeys: [readFileSync(file(`${alg}.pub`), "utf8")] });
      expect(r.header.signature).toMatchObject({ status: "verified", algorithm: alg === "ec" ? "ecdsa" : "rsa" });
      expect(sha(r.files[0]!.data)).toBe(sha(readFileSync(`${INPUTS}/rootfs.ext4`)));
      const err = await readError(readFileSync(out), { verifyKeys: [readFileSync(file(alg === "ec" ? "rsa.pub" : "ec.pub"), "utf8")] });
      expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
    });

    it("mender-artifact sign of our unsigned artifact verifies with ours", async () => {
      const unsigned = await ours("u2.mender", { kind: "module-image", payloadType: "x", name: "u-2", deviceTypes: ["pi4"], files: [{ name: "file1.txt", path: `${INPUTS}/file1.txt` }], compression: "xz" });
      execFileSync("mender-artifact", ["sign", "-k", file("ec.key"), unsigned, "-o", file("ms.mender")]);
      const r = await readAll(readFileSync(file("ms.mender")), { verifyKeys: [k.ec.publicKey] });
      expect(r.header.signature.status).toBe("verified");
    });
  });
});
