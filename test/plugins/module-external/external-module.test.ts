// Update Module v3 protocol with real shell modules: module tree, streaming via stream-next, files/ mode, queries, faults.
import { Readable } from "node:stream";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExternalModule } from "../../../plugins/module-external/external-module.js";
import { discoverModules } from "../../../plugins/module-external/module-discovery.js";
import type { NodePlatform } from "../../../core/platform/index.js";
import type { PayloadFile, ModuleContext } from "../../../core/capabilities/update-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { memoryLogger, moduleContext, pseudoRandom } from "../../core/install/install-fixtures.js";
import { moduleRoot } from "./module-root.js";

let root: string;
let platform: NodePlatform;
const log = memoryLogger();

beforeEach(async () => {
  ({ root, platform } = await moduleRoot("ota-modext-", "test-module", "/usr/share/mender/modules/v3/test-module"));
  log.lines.length = 0;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function mod(timeoutMs = 10_000, exe = "/usr/share/mender/modules/v3/test-module", type = "test-module"): ExternalModule {
  return new ExternalModule(type, exe, platform, timeoutMs);
}

function ctx(words: string[] = [], type = "test-module"): ModuleContext {
  const meta: Record<string, unknown> = {};
  for (const w of words) meta[w] = true;
  return moduleContext("/work/payloads/0000", log, {
    payloadType: type,
    header: {
      headerInfo: { payloads: [{ type }], artifact_provides: { artifact_name: "release-2", artifact_group: "g1" }, artifact_depends: { device_type: ["raspberrypi4"] } },
      typeInfo: { type },
      metaData: meta,
    },
    currentProvides: { artifact_name: "release-1", artifact_group: "g0" },
  });
}

function files(list: [string, Buffer][]): AsyncIterable<PayloadFile> {
  return (async function* () {
    for (const [name, data] of list) yield { name, size: data.length, stream: Readable.from([data]) };
  })();
}

const tree = (p = ""): string => join(root, "work/payloads/0000/tree", p);
const a = pseudoRandom(300_000, 1);
const b = pseudoRandom(70_000, 2);

describe("module-external: tree and streaming", () => {
  it("builds the module tree like Mender's client", async () => {
    await mod().download(ctx(), files([["a.bin", a]]));
    expect(await readFile(tree("version"), "utf8")).toBe("3\n");
    expect(await readFile(tree("current_artifact_name"), "utf8")).toBe("release-1\n");
    expect(await readFile(tree("current_artifact_group"), "utf8")).toBe("g0\n");
    expect(await readFile(tree("current_device_type"), "utf8")).toBe("raspberrypi4\n");
    expect(await readFile(tree("header/artifact_name"), "utf8")).toBe("release-2");
    expect(await readFile(tree("header/artifact_group"), "utf8")).toBe("g1");
    expect(await readFile(tree("header/payload_type"), "utf8")).toBe("test-module");
    expect(JSON.parse(await readFile(tree("header/header-info"), "utf8"))).toMatchObject({ payloads: [{ type: "test-module" }] });
    expect(await readFile(tree("header/meta-data"), "utf8")).toBe("null");
  });

  it("streams every file through stream-next and streams/<name>", async () => {
    await mod().download(ctx(), files([["a.bin", a], ["b.bin", b]]));
    expect((await readFile(tree("tmp/a.bin"))).equals(a)).toBe(true);
    expect((await readFile(tree("tmp/b.bin"))).equals(b)).toBe(true);
    expect(await readFile(tree("tmp/streamed"), "utf8")).toBe("a.bin \nb.bin \n");
    expect(await readFile(tree("tmp/calls"), "utf8")).toBe("ProvidePayloadFileSizes\nDownload\n");
  });

  it("DownloadWithFileSizes when ProvidePayloadFileSizes says Yes", async () => {
    await mod().download(ctx(["sizes"]), files([["a.bin", a], ["b.bin", b]]));
    expect(await readFile(tree("tmp/streamed"), "utf8")).toBe(`a.bin ${a.length}\nb.bin ${b.length}\n`);
    expect(await readFile(tree("tmp/calls"), "utf8")).toContain("DownloadWithFileSizes");
  });

  it("a module that never opens stream-next gets its files in files/", async () => {
    await mod().download(ctx(["files-mode"]), files([["a.bin", a], ["b.bin", b]]));
    expect((await readFile(tree("files/a.bin"))).equals(a)).toBe(true);
    expect((await readFile(tree("files/b.bin"))).equals(b)).toBe(true);
  });

  it("module-stops-reading-mid-stream: protocol error naming the module", async () => {
    const err = await mod().download(ctx(["stop-reading"]), files([["a.bin", a], ["b.bin", b]])).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_PROTOCOL") || isOtaError(err, "OTA_ERR_INSTALL_WRITE")).toBe(true);
    expect((err as Error).message).toContain("test-module");
  });

  it("module-fails-download: OTA_ERR_MODULE_FAILED with its stderr", async () => {
    const err = await mod().download(ctx(["download-fails"]), files([["a.bin", a]])).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_FAILED")).toBe(true);
    expect((err as Error).message).toContain("cannot download");
  });

  it("module-hangs-in-download: killed at the timeout", async () => {
    const err = await mod(600).download(ctx(["hang-download"]), files([["a.bin", a]])).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_TIMEOUT")).toBe(true);
  });

  it("payload-stream-fails-mid-file (bad checksum): the error surfaces and the module is stopped", async () => {
    const bad: AsyncIterable<PayloadFile> = (async function* () {
      const stream = new Readable({ read() {} });
      stream.push(a.subarray(0, 1000));
      setTimeout(() => stream.destroy(new Error("checksum mismatch in data/0000.tar/a.bin")), 50);
      yield { name: "a.bin", size: a.length, stream };
    })();
    const err = await mod().download(ctx(), bad).catch((e: unknown) => e);
    expect((err as Error).message).toContain("checksum mismatch");
  });
});

describe("module-external: states and queries", () => {
  async function ready(words: string[] = []): Promise<ExternalModule> {
    const m = mod(600);
    await m.download(ctx(words), files([["a.bin", b]]));
    return m;
  }

  it("runs each state with <STATE> <tree> and answers queries", async () => {
    const m = await ready();
    await m.artifactInstall(ctx());
    expect(await m.needsArtifactReboot(ctx())).toBe("No");
    expect(await m.supportsRollback(ctx())).toBe(true);
    await m.artifactCommit(ctx());
    await m.cleanup(ctx());
    expect(await readFile(tree("tmp/calls"), "utf8")).toBe(
      "ProvidePayloadFileSizes\nDownload\nArtifactInstall\nNeedsArtifactReboot\nSupportsRollback\nArtifactCommit\nCleanup\n",
    );
  });

  it("module-prints-two-lines: protocol error naming the module", async () => {
    const m = await ready(["two-lines"]);
    const err = await m.needsArtifactReboot(ctx(["two-lines"])).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_PROTOCOL")).toBe(true);
    expect((err as Error).message).toContain("test-module");
  });

  it("module-prints-unknown-value: protocol error", async () => {
    const m = await ready(["bad-value"]);
    expect(isOtaError(await m.needsArtifactReboot(ctx(["bad-value"])).catch((e: unknown) => e), "OTA_ERR_MODULE_PROTOCOL")).toBe(true);
  });

  it("module-crashes-in-install: OTA_ERR_MODULE_FAILED with exit code and stderr", async () => {
    const m = await ready(["crash"]);
    const err = await m.artifactInstall(ctx(["crash"])).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_FAILED")).toBe(true);
    expect((err as { details: { exitCode: number } }).details.exitCode).toBe(3);
    expect((err as Error).message).toContain("disk on fire");
  });

  it("module-hangs-in-install: OTA_ERR_MODULE_TIMEOUT", async () => {
    const m = await ready(["hang"]);
    expect(isOtaError(await m.artifactInstall(ctx(["hang"])).catch((e: unknown) => e), "OTA_ERR_MODULE_TIMEOUT")).toBe(true);
  });

  it("Cleanup is skipped silently when the tree is gone", async () => {
    await mod().cleanup(ctx());
  });
});

describe("module-external: discovery", () => {
  it("finds executables in the configured dirs, first dir wins, skips excluded and non-executables", async () => {
    await mkdir(join(root, "usr/lib/ota-agent/modules"), { recursive: true });
    await writeFile(join(root, "usr/lib/ota-agent/modules/test-module"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(root, "usr/lib/ota-agent/modules/other"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(root, "usr/lib/ota-agent/modules/not-exec"), "#!/bin/sh\n", { mode: 0o644 });
    await writeFile(join(root, "usr/lib/ota-agent/modules/rootfs-image"), "#!/bin/sh\n", { mode: 0o755 });
    const found = await discoverModules(
      platform,
      ["/usr/share/mender/modules/v3", "/usr/lib/ota-agent/modules", "relative/dir"],
      ["rootfs-image"],
      log,
    );
    expect(found).toEqual([
      { payloadType: "test-module", executable: "/usr/share/mender/modules/v3/test-module" },
      { payloadType: "other", executable: "/usr/lib/ota-agent/modules/other" },
    ]);
  });
});
