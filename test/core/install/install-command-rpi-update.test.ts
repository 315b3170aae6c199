// `ota-agent install update.tar.zst --sha256 HEX` through runCli, bare and otamaker forms, and its refusals.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { encodeSparseBuffer } from "../../../artifacts/index.js";
import { FakeBootloader, makeSlotRoot, pseudoRandom, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";
import { installRegistry } from "./install-registry.js";

const hasTools = toolsInstalled("zstd", "tar");

let sr: SlotRoot;
let boot: FakeBootloader;
const bootImg = Buffer.concat([pseudoRandom(64 * 1024, 41), Buffer.alloc(64 * 1024)]);
const systemImg = Buffer.concat([pseudoRandom(300 * 1024, 42), Buffer.alloc(100 * 1024, 7)]);

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliCaptured(["--sysroot", sr.root, "--config", join(sr.root, "config.json"), "--log-level", "silent", ...argv], { builtinPlugins: installRegistry(sr, boot) });
}

/** Builds /update.tar.zst from members in order; returns its SHA-256. */
async function updateTarZst(members: [string, Buffer][]): Promise<string> {
  const dir = sr.host("/up");
  await mkdir(dir, { recursive: true });
  for (const [name, data] of members) await writeFile(`${dir}/${name}`, data);
  execFileSync("sh", ["-c", `tar -C ${dir} -cf - ${members.map(([n]) => n).join(" ")} | zstd -q -c > ${sr.host("/update.tar.zst")}`]);
  return createHash("sha256").update(await readFile(sr.host("/update.tar.zst"))).digest("hex");
}

const otamaker = (deviceType: string): string =>
  `artefact:\n  name: otamaker-7\n  version: 7\n  device_type: ${deviceType}\npayloads:\n  - name: boot\n    type: image-sparse\n  - name: system\n    type: image-sparse\n`;

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  boot = new FakeBootloader();
  await writeFile(join(sr.root, "config.json"), JSON.stringify({ deviceType: "raspberrypi4", dataDir: "/data" }));
});
afterEach(async () => {
  await sr.cleanup();
});

describe.skipIf(!hasTools)("ota-agent install update.tar.zst (zstd and tar are installed)", () => {
  it("bare form with --sha256: exit 0, both images in the other slot, trial armed, active untouched", async () => {
    const sha = await updateTarZst([
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const active = await readFile(sr.host("/dev/system_a"));
    const { code, out, err } = await cli(["install", "/update.tar.zst", "--sha256", sha, "--json"]);
    expect(err).toBe("");
    expect(code).toBe(EXIT.OK);
    const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(result).toMatchObject({ event: "result", ok: true, format: "rpi-update", sha256: sha, armed: true });
    expect((await readFile(sr.host("/dev/boot_b"))).subarray(0, bootImg.length).equals(bootImg)).toBe(true);
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, systemImg.length).equals(systemImg)).toBe(true);
    expect((await readFile(sr.host("/dev/system_a"))).equals(active)).toBe(true);
    expect(boot.calls).toEqual(["armTrial(b)"]);
  });

  it("otamaker form with --sha256: the artefact name from _contents_.yaml is reported", async () => {
    const sha = await updateTarZst([
      ["_contents_.yaml", Buffer.from(otamaker("raspberrypi4"))],
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const { code, out } = await cli(["install", "/update.tar.zst", "--sha256", sha.toUpperCase(), "--json"]);
    expect(code).toBe(EXIT.OK);
    expect(JSON.parse(out.trim().split("\n").at(-1) ?? "{}")).toMatchObject({ artifactName: "otamaker-7", format: "rpi-update" });
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, systemImg.length).equals(systemImg)).toBe(true);
  });

  it("rpi-update-without-sha256: exit 1, nothing written, nothing armed", async () => {
    await updateTarZst([
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const before = await readFile(sr.host("/dev/system_b"));
    const { code, err } = await cli(["install", "/update.tar.zst"]);
    expect(code).toBe(EXIT.FAILURE);
    expect(err).toMatch(/OTA_ERR_/);
    expect((await readFile(sr.host("/dev/system_b"))).equals(before)).toBe(true);
    expect(boot.calls).toEqual([]);
  });

  it("rpi-update-checksum-mismatch: exit 1 with OTA_ERR_INSTALL_CHECKSUM, nothing armed, active untouched", async () => {
    await updateTarZst([
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const [activeBoot, activeSystem] = [await readFile(sr.host("/dev/boot_a")), await readFile(sr.host("/dev/system_a"))];
    const { code, err } = await cli(["install", "/update.tar.zst", "--sha256", "0".repeat(64)]);
    expect(code).toBe(EXIT.FAILURE);
    expect(err).toContain("OTA_ERR_INSTALL_CHECKSUM");
    expect(boot.calls).toEqual([]);
    expect((await readFile(sr.host("/dev/boot_a"))).equals(activeBoot)).toBe(true);
    expect((await readFile(sr.host("/dev/system_a"))).equals(activeSystem)).toBe(true);
  });

  it("otamaker-wrong-device-type: exit 1 before the other slot is touched", async () => {
    const sha = await updateTarZst([
      ["_contents_.yaml", Buffer.from(otamaker("raspberrypi5"))],
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const [beforeBoot, beforeSystem] = [await readFile(sr.host("/dev/boot_b")), await readFile(sr.host("/dev/system_b"))];
    const { code, err } = await cli(["install", "/update.tar.zst", "--sha256", sha]);
    expect(code).toBe(EXIT.FAILURE);
    expect(err).toContain("raspberrypi5");
    expect((await readFile(sr.host("/dev/boot_b"))).equals(beforeBoot)).toBe(true);
    expect((await readFile(sr.host("/dev/system_b"))).equals(beforeSystem)).toBe(true);
    expect(boot.calls).toEqual([]);
  });
});
