// The Update Modules shipped by Debian's mender-client (single-file, directory), run by module-external through the pipeline.
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile, chmod } from "node:fs/promises";
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
import { memoryLogger, testConfig } from "../../core/install/install-fixtures.js";

const DEBIAN = "/usr/share/mender/modules/v3";
const available = existsSync(`${DEBIAN}/single-file`) && existsSync(`${DEBIAN}/directory`) && (() => {
  try {
    execFileSync("mender-artifact", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let root: string;
let platform: NodePlatform;
const log = memoryLogger();

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ota-debmod-"));
  await mkdir(join(root, "modules"), { recursive: true });
  for (const m of ["single-file", "directory"]) {
    await copyFile(`${DEBIAN}/${m}`, join(root, "modules", m));
    await chmod(join(root, "modules", m), 0o755);
  }
  platform = new NodePlatform({ sysroot: root });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function install(type: string, files: string[]): Promise<{ ctx: ReturnType<typeof makeModuleContext>; module: ExternalModule }> {
  execFileSync("mender-artifact", ["write", "module-image", "-T", type, "-n", "app-2", "-t", "raspberrypi4", ...files.flatMap((f) => ["-f", f]), "-o", join(root, "a.mender")], { stdio: "pipe" });
  const module = new ExternalModule(type, `/modules/${type}`, platform, 30_000);
  const pipeline = new InstallPipeline(platform, testConfig(), new SourceRegistry(() => [], [new FileSource(platform)]), new UpdateModuleRegistry(() => [module]));
  const installed = { deviceType: "raspberrypi4", artifactName: "app-1", provides: { artifact_name: "app-1" } };
  const signal = new AbortController().signal;
  const result = await pipeline.download({ deploymentId: "d", uri: "/a.mender", workDir: "/work", installed, signal, log });
  const ctx = makeModuleContext(result, 0, { deploymentId: "d", workDir: "/work", log, signal, currentProvides: installed.provides, currentDeviceType: "raspberrypi4" });
  return { ctx, module };
}

describe.skipIf(!available)("Debian mender-client update modules (installed here)", () => {
  it("single-file: installs, then rolls back to the previous file", async () => {
    const dest = join(root, "dest");
    await mkdir(dest);
    await writeFile(join(dest, "app.conf"), "old\n");
    const src = join(root, "src");
    await mkdir(src);
    await writeFile(join(src, "app.conf"), "new\n");
    await writeFile(join(src, "dest_dir"), dest);
    await writeFile(join(src, "filename"), "app.conf");
    await writeFile(join(src, "permissions"), "640");
    const { ctx, module } = await install("single-file", ["app.conf", "dest_dir", "filename", "permissions"].map((f) => join(src, f)));
    await module.artifactInstall(ctx);
    expect(await readFile(join(dest, "app.conf"), "utf8")).toBe("new\n");
    expect(await module.needsArtifactReboot(ctx)).toBe("No");
    expect(await module.supportsRollback(ctx)).toBe(true);
    await module.artifactRollback(ctx);
    expect(await readFile(join(dest, "app.conf"), "utf8")).toBe("old\n");
    await module.cleanup(ctx);
  });

  it("directory: replaces a directory from update.tar", async () => {
    const dest = join(root, "www");
    await mkdir(dest);
    await writeFile(join(dest, "old.html"), "old");
    const src = join(root, "src");
    await mkdir(join(src, "content"), { recursive: true });
    await writeFile(join(src, "content/index.html"), "<h1>new</h1>");
    execFileSync("tar", ["-cf", join(src, "update.tar"), "-C", join(src, "content"), "."]);
    await writeFile(join(src, "dest_dir"), dest);
    const { ctx, module } = await install("directory", [join(src, "update.tar"), join(src, "dest_dir")]);
    await module.artifactInstall(ctx);
    expect(await readFile(join(dest, "index.html"), "utf8")).toBe("<h1>new</h1>");
    expect(existsSync(join(dest, "old.html"))).toBe(false);
  });
});
