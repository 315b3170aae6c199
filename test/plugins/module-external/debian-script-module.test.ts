// Debian mender-client's `script` Update Module run by module-external: success, a failing script, a hanging one.
import { execFileSync } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExternalModule } from "../../../plugins/module-external/external-module.js";
import { InstallPipeline } from "../../../core/install/install-pipeline.js";
import { UpdateModuleRegistry } from "../../../core/install/module-registry.js";
import { SourceRegistry } from "../../../core/install/sources/source-registry.js";
import { FileSource } from "../../../core/install/sources/file-source.js";
import { makeModuleContext } from "../../../core/install/module-context.js";
import { NodePlatform } from "../../../core/platform/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import { memoryLogger, testConfig } from "../../core/install/install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";

const MODULE = "/usr/share/mender/modules/v3/script";
const available = existsSync(MODULE) && toolsInstalled("mender-artifact");

let root: string;
let platform: NodePlatform;
const log = memoryLogger();

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ota-debscript-"));
  await mkdir(join(root, "modules"));
  await copyFile(MODULE, join(root, "modules/script"));
  await chmod(join(root, "modules/script"), 0o755);
  platform = new NodePlatform({ sysroot: root });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Packs `body` as the one script of a `script` artifact and runs Download; returns the module and its context. */
async function download(body: string, timeoutMs: number): Promise<{ module: ExternalModule; ctx: ReturnType<typeof makeModuleContext> }> {
  const script = join(root, "run.sh");
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  execFileSync("mender-artifact", ["write", "module-image", "-T", "script", "-n", "script-2", "-t", "raspberrypi4", "-f", script, "-o", join(root, "a.mender")], { stdio: "pipe" });
  const module = new ExternalModule("script", "/modules/script", platform, timeoutMs);
  const pipeline = new InstallPipeline(platform, testConfig(), new SourceRegistry(() => [], [new FileSource(platform)]), new UpdateModuleRegistry(() => [module]));
  const installed = { deviceType: "raspberrypi4", artifactName: "script-1", provides: { artifact_name: "script-1" } };
  const signal = new AbortController().signal;
  const result = await pipeline.download({ deploymentId: "d", uri: "/a.mender", workDir: "/work", installed, signal, log });
  const ctx = makeModuleContext(result, 0, { deploymentId: "d", workDir: "/work", log, signal, currentProvides: installed.provides, currentDeviceType: "raspberrypi4" });
  return { module, ctx };
}

describe.skipIf(!available)("Debian mender-client `script` update module (installed here)", () => {
  it("runs the artifact's script at ArtifactInstall", async () => {
    const marker = join(root, "ran");
    const { module, ctx } = await download(`echo "$0" > ${marker}`, 30_000);
    expect(existsSync(marker)).toBe(false); // Download only stores the file
    await module.artifactInstall(ctx);
    expect(await readFile(marker, "utf8")).toContain("/files/run.sh");
    expect(await module.needsArtifactReboot(ctx)).toBe("No");
    expect(await module.supportsRollback(ctx)).toBe(false);
  });

  it("script-fails: OTA_ERR_MODULE_FAILED carrying the script's stderr", async () => {
    const { module, ctx } = await download("echo 'migration failed: table locked' >&2; exit 4", 30_000);
    const err = await module.artifactInstall(ctx).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_FAILED")).toBe(true);
    expect((err as Error).message).toContain("migration failed: table locked");
  });

  it("script-hangs-in-a-child: the timeout ends the whole process group (OTA_ERR_MODULE_TIMEOUT)", async () => {
    const { module, ctx } = await download("sleep 30; echo late", 700);
    const err = await module.artifactInstall(ctx).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_TIMEOUT")).toBe(true);
    expect((err as Error).message).toContain("ArtifactInstall");
  });
});
