// ota-artifact against the real mender-artifact: sign byte-identical to `mender-artifact sign`, every write flag, import-rpi.
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSparseBuffer } from "../../../artifacts/sparse/sparse-encoder.js";
import { readAll, runCli, sha, tar } from "../artifact-kit.js";
import { SAMPLE_ARTIFACTS, SAMPLE_INPUTS } from "../fixture-paths.js";

const hasTool = spawnSync("mender-artifact", ["--version"]).status === 0;
const hasZstd = spawnSync("zstd", ["--version"]).status === 0;

const run = runCli;

/** The outer members of an artifact as name → body sha256, in order. */
function members(path: string): Array<[string, string]> {
  const names = execFileSync("tar", ["-tf", path], { encoding: "utf8" }).trim().split("\n");
  return names.map((n) => [n, sha(execFileSync("tar", ["-xOf", path, n]))]);
}

describe.skipIf(!hasTool)("ota-artifact CLI against mender-artifact (skipped only when the mender-artifact binary is not installed)", () => {
  let dir = "";
  const p = (n: string) => join(dir, n);
  const validate = (path: string, key?: string) => spawnSync("mender-artifact", ["validate", path, ...(key === undefined ? [] : ["-k", key])], { encoding: "utf8" });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ota-cli-interop-"));
    const rsa = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ec2 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    // mender-artifact 3.9 parses RSA private keys only as PKCS#1 and EC keys only as SEC1.
    writeFileSync(p("rsa.key"), rsa.privateKey.export({ type: "pkcs1", format: "pem" }));
    writeFileSync(p("rsa.pub"), rsa.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(p("ec.key"), ec.privateKey.export({ type: "sec1", format: "pem" }));
    writeFileSync(p("ec.pub"), ec.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(p("ec2.pub"), ec2.publicKey.export({ type: "spki", format: "pem" }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("sign", () => {
    it.each([
      ["a mender-artifact unsigned sample", () => `${SAMPLE_ARTIFACTS}/rootfs-gzip-unsigned.mender`],
      ["a mender-artifact module sample", () => `${SAMPLE_ARTIFACTS}/module-none-unsigned.mender`],
    ])("sign-differs-from-mender-artifact: RSA-signing %s gives the very bytes `mender-artifact sign` gives", async (_n, input) => {
      copyFileSync(input(), p("in.mender"));
      expect((await run(["sign", p("in.mender"), "-k", p("rsa.key"), "-o", p("ours.mender")])).code).toBe(0);
      execFileSync("mender-artifact", ["sign", "-k", p("rsa.key"), p("in.mender"), "-o", p("theirs.mender")]);
      // RSA PKCS#1 v1.5 is deterministic, so even manifest.sig must match; compare whole files.
      expect(sha(readFileSync(p("ours.mender")))).toBe(sha(readFileSync(p("theirs.mender"))));
      expect(validate(p("ours.mender"), p("rsa.pub")).status).toBe(0);
    });

    it("sign-changes-other-members: ECDSA-signing our own artifact changes nothing but adding manifest.sig", async () => {
      expect((await run(["write", "rootfs-image", "-n", "s-1", "-t", "pi4", "-f", `${SAMPLE_INPUTS}/rootfs.ext4`, "-o", p("u.mender")])).code).toBe(0);
      expect((await run(["sign", p("u.mender"), "-k", p("ec.key"), "-o", p("ours-ec.mender")])).code).toBe(0);
      execFileSync("mender-artifact", ["sign", "-k", p("ec.key"), p("u.mender"), "-o", p("theirs-ec.mender")]);
      const ours = members(p("ours-ec.mender"));
      const theirs = members(p("theirs-ec.mender"));
      // ECDSA signatures are randomised: every member but manifest.sig is identical, and both signatures verify.
      expect(ours.filter(([n]) => n !== "manifest.sig")).toEqual(theirs.filter(([n]) => n !== "manifest.sig"));
      expect(ours.filter(([n]) => n !== "manifest.sig")).toEqual(members(p("u.mender")));
      expect(ours.map(([n]) => n)).toEqual(["version", "manifest", "manifest.sig", "header.tar.gz", "data/0000.tar.gz"]);
      expect(validate(p("ours-ec.mender"), p("ec.pub")).status).toBe(0);
      expect(validate(p("ours-ec.mender"), p("ec2.pub")).status).not.toBe(0);
    });
  });

  describe("write accepts every common mender-artifact flag", () => {
    const flags = () => [
      "-n", "m-1", "-t", "pi4", "-t", "pi5", "-T", "single-file", "-f", `${SAMPLE_INPUTS}/file1.txt`, "-f", `${SAMPLE_INPUTS}/file2.bin`,
      "-p", "extra.provide:p1", "-d", "extra.depend:d1", "-N", "old-1", "-N", "old-2", "-g", "grp", "-G", "stable",
      "-s", `${SAMPLE_INPUTS}/ArtifactInstall_Enter_00_demo`, "-m", `${SAMPLE_INPUTS}/meta.json`,
      "--software-name", "app", "--software-version", "9.1", "--clears-provides", "old.*",
    ];

    it.each(["none", "gzip", "xz"] as const)("module-image --compression %s, ECDSA-signed, passes mender-artifact validate -k", async (c) => {
      const out = p(`m-${c}.mender`);
      const w = await run(["write", "module-image", ...flags(), "--compression", c, "-k", p("ec.key"), "-o", out]);
      expect(w.code, w.err).toBe(0);
      const ok = validate(out, p("ec.pub"));
      expect(ok.status, ok.stderr + ok.stdout).toBe(0);
      expect(validate(out, p("ec2.pub")).status).not.toBe(0);
      const read = execFileSync("mender-artifact", ["read", out, "-k", p("ec.pub")], { encoding: "utf8" });
      for (const want of [
        "Compatible devices: '[pi4 pi5]'", "Provides group: grp", "Depends on one of artifact(s): [old-1, old-2]",
        "Depends on one of group(s): [stable]", "ArtifactInstall_Enter_00_demo", "Type:   single-file", "extra.provide: p1",
        "extra.depend: d1", "rootfs-image.app.version: 9.1", 'Clears Provides: ["old.*", "rootfs-image.app.*"]', '"key1": "value1"',
        "name:     file1.txt", "name:     file2.bin", "signed and verified correctly",
      ]) expect(read, want).toContain(want);
    });

    it.skipIf(!hasZstd)("module-image --compression zstd reads back with ours (mender-artifact 3.9 has no zstd)", async () => {
      const w = await run(["write", "module-image", ...flags(), "--compression", "zstd", "-k", p("rsa.key"), "-o", p("m-zstd.mender")]);
      expect(w.code, w.err).toBe(0);
      const r = await readAll(readFileSync(p("m-zstd.mender")), { verifyKeys: [readFileSync(p("rsa.pub"), "utf8")] });
      expect(r.header.signature.status).toBe("verified");
      expect(r.files.map((f) => f.name)).toEqual(["file1.txt", "file2.bin"]);
      expect(r.header.payloads[0]!.provides).toMatchObject({ "extra.provide": "p1", "rootfs-image.app.version": "9.1" });
    });

    it("rootfs-image with the same flags (no -T/-m) and --compression none, RSA-signed, passes validate -k", async () => {
      const rootfsFlags = [
        "-n", "r-1", "-t", "pi4", "-t", "pi5", "-f", `${SAMPLE_INPUTS}/rootfs.ext4`, "-p", "extra.provide:p1", "-d", "extra.depend:d1",
        "-N", "old-1", "-g", "grp", "-G", "stable", "-s", `${SAMPLE_INPUTS}/ArtifactInstall_Enter_00_demo`,
        "--software-name", "app", "--software-version", "9.1", "--clears-provides", "old.*",
      ];
      const w = await run(["write", "rootfs-image", ...rootfsFlags, "--compression", "none", "-k", p("rsa.key"), "-o", p("r.mender")]);
      expect(w.code, w.err).toBe(0);
      expect(validate(p("r.mender"), p("rsa.pub")).status).toBe(0);
      const read = execFileSync("mender-artifact", ["read", p("r.mender")], { encoding: "utf8" });
      expect(read).toContain("rootfs-image.app.version: 9.1");
      expect(read).toContain(`rootfs-image.checksum: ${sha(readFileSync(`${SAMPLE_INPUTS}/rootfs.ext4`))}`);
    });
  });

  describe.skipIf(!hasZstd)("import-rpi", () => {
    const contents = "artefact:\n  name: img\n  version: \"1\"\n  device_type: pi5\npayloads:\n  - name: boot\n    type: image-sparse\n  - name: system\n    type: image-sparse\n";
    it.each(["bare", "contents-yaml"] as const)("import-rpi from the %s form gives a signed artifact both readers accept", async (form) => {
      const bootRaw = Buffer.alloc(96 * 1024, 0x5a);
      const systemRaw = Buffer.alloc(512 * 1024);
      systemRaw.write("root filesystem", 4096 * 7);
      const boot = await encodeSparseBuffer(bootRaw);
      const system = await encodeSparseBuffer(systemRaw);
      const entries = [{ name: "boot", body: boot }, { name: "system", body: system }];
      if (form === "contents-yaml") entries.unshift({ name: "_contents_.yaml", body: Buffer.from(contents) });
      writeFileSync(p(`${form}.tar.zst`), execFileSync("zstd", ["-q", "-c"], { input: tar(entries) }));
      const args = ["import-rpi", p(`${form}.tar.zst`), "-n", `rpi-${form}`, "-k", p("ec.key"), "-o", p(`${form}.mender`)];
      // The bare form carries no device type, so it must be given; the YAML form supplies its own.
      if (form === "bare") args.push("-t", "pi5");
      const w = await run(args);
      expect(w.code, w.err).toBe(0);
      const ok = validate(p(`${form}.mender`), p("ec.pub"));
      expect(ok.status, ok.stderr + ok.stdout).toBe(0);
      expect(validate(p(`${form}.mender`), p("ec2.pub")).status).not.toBe(0);
      const r = await readAll(readFileSync(p(`${form}.mender`)), { verifyKeys: [readFileSync(p("ec.pub"), "utf8")], deviceType: "pi5" });
      expect(r.header.signature.status).toBe("verified");
      expect(r.header.payloads[0]!.type).toBe("rpi-ab-slot");
      expect(r.files.map((f) => [f.name, sha(f.data)])).toEqual([["boot", sha(boot)], ["system", sha(system)]]);
      expect((await run(["validate", p(`${form}.mender`), "-k", p("ec.pub")])).code).toBe(0);
    });
  });
});
