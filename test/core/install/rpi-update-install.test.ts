// rpi-image-gen's update.tar.zst (bare and otamaker _contents_.yaml forms) installed directly, guarded by a whole-file SHA-256.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InstallPipeline } from "../../../core/install/install-pipeline.js";
import { UpdateModuleRegistry } from "../../../core/install/module-registry.js";
import { SourceRegistry } from "../../../core/install/sources/source-registry.js";
import { FileSource } from "../../../core/install/sources/file-source.js";
import type { DownloadRequest } from "../../../core/install/download-types.js";
import { AbImageModule } from "../../../plugins/module-ab-image/ab-image-module.js";
import { encodeSparseBuffer } from "../../../artifacts/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import type { AgentConfig } from "../../../core/config/schema.js";
import { FakeBootloader, makeSlotRoot, memoryLogger, pseudoRandom, testConfig, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";

const hasTools = toolsInstalled("zstd", "tar");

let sr: SlotRoot;
let boot: FakeBootloader;
const log = memoryLogger();
const bootImg = Buffer.concat([pseudoRandom(64 * 1024, 31), Buffer.alloc(64 * 1024)]);
const systemImg = Buffer.concat([pseudoRandom(300 * 1024, 32), Buffer.alloc(100 * 1024, 9)]);

function pipeline(config: AgentConfig = testConfig()): InstallPipeline {
  const settings = () => ({ frameBytes: 64 * 1024, readCompareWrite: true, readBackVerify: true });
  const modules = [new AbImageModule("rpi-ab-slot", sr.platform, () => sr.slots, () => boot, settings)];
  return new InstallPipeline(sr.platform, config, new SourceRegistry(() => [], [new FileSource(sr.platform)]), new UpdateModuleRegistry(() => modules));
}

function request(uri: string, extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return {
    deploymentId: "d1",
    uri,
    workDir: "/data/d1",
    installed: { deviceType: "raspberrypi4", artifactName: "r1", provides: { artifact_name: "r1" } },
    signal: new AbortController().signal,
    log,
    ...extra,
  };
}

/** Builds update.tar.zst from members (name → bytes) in order; returns its device path and SHA-256. */
async function updateTarZst(members: [string, Buffer][]): Promise<{ uri: string; sha256: string }> {
  const dir = sr.host("/up");
  await mkdir(dir, { recursive: true });
  for (const [name, data] of members) await writeFile(`${dir}/${name}`, data);
  execFileSync("sh", ["-c", `tar -C ${dir} -cf - ${members.map(([n]) => n).join(" ")} | zstd -q -c > ${sr.host("/update.tar.zst")}`]);
  const sha256 = createHash("sha256").update(await readFile(sr.host("/update.tar.zst"))).digest("hex");
  return { uri: "/update.tar.zst", sha256 };
}

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  boot = new FakeBootloader();
});
afterEach(async () => {
  await sr.cleanup();
});

describe.skipIf(!hasTools)("update.tar.zst installs (zstd and tar are installed)", () => {
  it("bare form: boot and system sparse images land in the other slot", async () => {
    const { uri, sha256 } = await updateTarZst([
      ["boot", await encodeSparseBuffer(bootImg, { dontCareZeros: false })],
      ["system", await encodeSparseBuffer(systemImg, { dontCareZeros: false })],
    ]);
    const result = await pipeline().download(request(uri, { sha256, name: "image-2026-11" }));
    expect(result).toMatchObject({ format: "rpi-update", artifactName: "image-2026-11", payloads: [{ type: "rpi-ab-slot" }] });
    expect((await readFile(sr.host("/dev/boot_b"))).subarray(0, bootImg.length).equals(bootImg)).toBe(true);
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, systemImg.length).equals(systemImg)).toBe(true);
  });

  it("otamaker form: _contents_.yaml names the artefact", async () => {
    const yaml = "artefact:\n  name: otamaker-3\n  version: 3\n  device_type: raspberrypi4\npayloads:\n  - name: boot\n    type: image-sparse\n  - name: system\n    type: image-sparse\n";
    const { uri, sha256 } = await updateTarZst([
      ["_contents_.yaml", Buffer.from(yaml)],
      ["boot", await encodeSparseBuffer(bootImg)],
      ["system", await encodeSparseBuffer(systemImg)],
    ]);
    const result = await pipeline().download(request(uri, { sha256 }));
    expect(result.artifactName).toBe("otamaker-3");
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, 300 * 1024).equals(systemImg.subarray(0, 300 * 1024))).toBe(true);
  });

  it("rpi-update-without-sha256: refused before anything is written", async () => {
    const { uri } = await updateTarZst([["boot", await encodeSparseBuffer(bootImg)], ["system", await encodeSparseBuffer(systemImg)]]);
    const before = await readFile(sr.host("/dev/system_b"));
    const err = await pipeline().download(request(uri)).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ARTIFACT_INVALID")).toBe(true);
    expect((await readFile(sr.host("/dev/system_b"))).equals(before)).toBe(true);
  });

  it("rpi-update-checksum-mismatch: OTA_ERR_INSTALL_CHECKSUM at the end, nothing armed", async () => {
    const { uri } = await updateTarZst([["boot", await encodeSparseBuffer(bootImg)], ["system", await encodeSparseBuffer(systemImg)]]);
    const err = await pipeline().download(request(uri, { sha256: "f".repeat(64) })).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_CHECKSUM")).toBe(true);
    expect(boot.calls).toEqual([]);
  });

  it("rpi-update-when-signatures-required: refused", async () => {
    const { uri, sha256 } = await updateTarZst([["boot", await encodeSparseBuffer(bootImg)], ["system", await encodeSparseBuffer(systemImg)]]);
    const err = await pipeline(testConfig({ artifacts: { requireSignature: true } })).download(request(uri, { sha256 })).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ARTIFACT_INVALID")).toBe(true);
  });

  it("otamaker-script-payload: refused, not silently skipped", async () => {
    const yaml = "artefact:\n  name: x\npayloads:\n  - name: boot\n    type: image-sparse\n  - name: post.sh\n    type: script\n";
    const { uri, sha256 } = await updateTarZst([
      ["_contents_.yaml", Buffer.from(yaml)],
      ["boot", await encodeSparseBuffer(bootImg)],
      ["post.sh", Buffer.from("#!/bin/sh\nexit 0\n")],
    ]);
    const err = await pipeline().download(request(uri, { sha256 })).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_PAYLOAD_INVALID")).toBe(true);
  });
});
