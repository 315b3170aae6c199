// The Download state end to end: real mender-artifact files → reader → slot module → file-backed partitions.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile, truncate, stat } from "node:fs/promises";
import { createHash, generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InstallPipeline } from "../../../core/install/install-pipeline.js";
import { UpdateModuleRegistry } from "../../../core/install/module-registry.js";
import { SourceRegistry } from "../../../core/install/sources/source-registry.js";
import { FileSource } from "../../../core/install/sources/file-source.js";
import { makeModuleContext } from "../../../core/install/module-context.js";
import type { DownloadRequest } from "../../../core/install/download-types.js";
import { AbImageModule } from "../../../plugins/module-ab-image/ab-image-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import type { AgentConfig } from "../../../core/config/schema.js";
import { FakeBootloader, makeSlotRoot, memoryLogger, pseudoRandom, testConfig, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";

const hasMenderArtifact = toolsInstalled("mender-artifact");

let sr: SlotRoot;
let boot: FakeBootloader;
const log = memoryLogger();
const bootImg = pseudoRandom(150_000, 11);
const systemImg = pseudoRandom(700_000, 12);

function pipeline(config: AgentConfig = testConfig()): InstallPipeline {
  const settings = () => ({ frameBytes: 64 * 1024, readCompareWrite: true, readBackVerify: false });
  const modules = [
    new AbImageModule("rpi-ab-slot", sr.platform, () => sr.slots, () => boot, settings),
    new AbImageModule("rootfs-image", sr.platform, () => sr.slots, () => boot, settings),
  ];
  return new InstallPipeline(
    sr.platform,
    config,
    new SourceRegistry(() => [], [new FileSource(sr.platform)]),
    new UpdateModuleRegistry(() => modules),
  );
}

function request(uri: string, extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return {
    deploymentId: "d1",
    uri,
    workDir: "/data/deployments/d1",
    installed: { deviceType: "raspberrypi4", artifactName: "release-1", provides: { artifact_name: "release-1" } },
    signal: new AbortController().signal,
    log,
    ...extra,
  };
}

/** Writes boot/system images into the sysroot and a module-image artifact from them; returns its device path. */
async function artifact(args: string[] = [], type = "rpi-ab-slot"): Promise<string> {
  await mkdir(sr.host("/art/in"), { recursive: true });
  await writeFile(sr.host("/art/in/boot"), bootImg);
  await writeFile(sr.host("/art/in/system"), systemImg);
  execFileSync("mender-artifact", [
    "write", "module-image", "-T", type, "-n", "release-2", "-t", "raspberrypi4",
    "-f", sr.host("/art/in/boot"), "-f", sr.host("/art/in/system"), "-o", sr.host("/art/update.mender"), ...args,
  ], { stdio: "pipe" });
  return "/art/update.mender";
}

const otherSlot = async (): Promise<{ boot: Buffer; system: Buffer }> => ({
  boot: (await readFile(sr.host("/dev/boot_b"))).subarray(0, bootImg.length),
  system: (await readFile(sr.host("/dev/system_b"))).subarray(0, systemImg.length),
});

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  boot = new FakeBootloader();
  log.lines.length = 0;
});
afterEach(async () => {
  await sr.cleanup();
});

describe.skipIf(!hasMenderArtifact)("InstallPipeline.download (mender-artifact is installed)", () => {
  it("streams an rpi-ab-slot artifact into the other slot and returns a serialisable result", async () => {
    const uri = await artifact();
    const progress: number[] = [];
    const result = await pipeline().download(request(uri, { onProgress: (p) => progress.push(p.bytes) }));
    const other = await otherSlot();
    expect(other.boot.equals(bootImg)).toBe(true);
    expect(other.system.equals(systemImg)).toBe(true);
    expect(result).toMatchObject({
      artifactName: "release-2",
      deviceTypes: ["raspberrypi4"],
      format: "mender",
      payloads: [{ index: 0, type: "rpi-ab-slot" }],
    });
    const fileBytes = await readFile(sr.host(uri));
    expect(result.bytesRead).toBe(fileBytes.length);
    expect(result.sha256).toBe(""); // no expected whole-file hash given: not computed (the manifest covers the payload)
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(progress.at(-1)).toBe(fileBytes.length);
    expect(boot.calls).toEqual([]); // Download never arms
  });

  it("module contexts rebuilt from the persisted result see the same work dir (after a reboot)", async () => {
    const result = await pipeline().download(request(await artifact()));
    const saved = JSON.parse(JSON.stringify(result)) as typeof result;
    const ctx = makeModuleContext(saved, 0, {
      deploymentId: "d1",
      workDir: "/data/deployments/d1",
      log,
      signal: new AbortController().signal,
      currentProvides: {},
    });
    expect(ctx.workDir).toBe("/data/deployments/d1/payloads/0000");
    const m = new AbImageModule("rpi-ab-slot", sr.platform, () => sr.slots, () => boot, () => ({ frameBytes: 65536, readCompareWrite: true, readBackVerify: false }));
    await m.artifactInstall(ctx);
    expect(boot.calls).toEqual(["armTrial(b)"]);
  });

  it("checksum-mismatch-at-end: OTA_ERR_INSTALL_CHECKSUM, nothing armed, active untouched", async () => {
    const uri = await artifact();
    const activeBefore = await readFile(sr.host("/dev/system_a"));
    const err = await pipeline()
      .download(request(uri, { sha256: "0".repeat(64) }))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_CHECKSUM")).toBe(true);
    expect(boot.calls).toEqual([]);
    expect((await readFile(sr.host("/dev/system_a"))).equals(activeBefore)).toBe(true);
  });

  it("install-cancelled-mid-payload: a file read through the pull side stops with OTA_ERR_INSTALL_ABORTED, nothing armed", async () => {
    const uri = await artifact();
    const activeBefore = await readFile(sr.host("/dev/system_a"));
    const controller = new AbortController();
    const err = await pipeline()
      .download(
        request(uri, {
          signal: controller.signal,
          // cancelled once part of the payload went by: the next pulled read must refuse
          onProgress: (p) => {
            if (p.bytes > 300_000) controller.abort();
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ABORTED")).toBe(true);
    expect(boot.calls).toEqual([]);
    expect((await readFile(sr.host("/dev/system_a"))).equals(activeBefore)).toBe(true);
  });

  it("cancel-after-a-pulled-install: aborting the deployment's signal later raises nothing", async () => {
    const uri = await artifact();
    const controller = new AbortController();
    await pipeline().download(request(uri, { signal: controller.signal }));
    // the file source made no stream, so no abort listener is left to destroy one (an uncaught error fails the run)
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it("the right --sha256 passes", async () => {
    const uri = await artifact();
    const sha = createHash("sha256").update(await readFile(sr.host(uri))).digest("hex");
    const result = await pipeline().download(request(uri, { sha256: sha.toUpperCase() }));
    expect(result.sha256).toBe(sha);
  });

  it("payload-type-without-module: refused before any byte is written", async () => {
    const uri = await artifact([], "no-such-module");
    const before = await otherSlot();
    const err = await pipeline().download(request(uri)).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_NO_MODULE")).toBe(true);
    const after = await otherSlot();
    expect(after.system.equals(before.system)).toBe(true);
  });

  it("wrong-device-type: refused by the reader, nothing written", async () => {
    const uri = await artifact();
    const before = await otherSlot();
    const err = await pipeline()
      .download(request(uri, { installed: { deviceType: "raspberrypi5", artifactName: "r1", provides: {} } }))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ARTIFACT_INVALID")).toBe(true);
    expect((err as { details: { artifactCode: string } }).details.artifactCode).toBe("OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH");
    expect((await otherSlot()).system.equals(before.system)).toBe(true);
  });

  it("unsigned-artifact-with-verify-keys: refused before any payload byte", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await writeFile(sr.host("/etc-key.pem"), publicKey.export({ type: "spki", format: "pem" }));
    const uri = await artifact();
    const before = await otherSlot();
    const err = await pipeline(testConfig({ artifacts: { verifyKeys: ["/etc-key.pem"] } }))
      .download(request(uri))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ARTIFACT_INVALID")).toBe(true);
    expect((await otherSlot()).system.equals(before.system)).toBe(true);
  });

  it("artifact-truncated-in-data: fails, nothing armed", async () => {
    const uri = await artifact(["--compression", "none"]);
    const size = (await stat(sr.host(uri))).size;
    await truncate(sr.host(uri), Math.floor(size * 0.7));
    const err = await pipeline().download(request(uri)).catch((e: unknown) => e);
    expect(isOtaError(err)).toBe(true);
    expect(boot.calls).toEqual([]);
  });

  it("saves state scripts under the work dir", async () => {
    await mkdir(sr.host("/art/scripts"), { recursive: true });
    await writeFile(sr.host("/art/scripts/ArtifactInstall_Enter_00"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const uri = await artifact(["-s", sr.host("/art/scripts/ArtifactInstall_Enter_00")]);
    const result = await pipeline().download(request(uri));
    expect(result.scriptsDir).toBe("/data/deployments/d1/scripts");
    expect(await readFile(sr.host("/data/deployments/d1/scripts/ArtifactInstall_Enter_00"), "utf8")).toContain("exit 0");
  });

  it("a missing file is OTA_ERR_SOURCE_NOT_FOUND", async () => {
    const err = await pipeline().download(request("/art/nothing.mender")).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_NOT_FOUND")).toBe(true);
  });
});
