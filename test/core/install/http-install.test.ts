// The Download state over HTTP with a connection dropped mid-payload: resumed, same bytes in the slot, checksums pass.
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InstallPipeline } from "../../../core/install/install-pipeline.js";
import { UpdateModuleRegistry } from "../../../core/install/module-registry.js";
import { SourceRegistry } from "../../../core/install/sources/source-registry.js";
import { HttpSource } from "../../../core/install/sources/http-source.js";
import { AbImageModule } from "../../../plugins/module-ab-image/ab-image-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { FakeBootloader, makeSlotRoot, memoryLogger, pseudoRandom, testConfig, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

const hasMenderArtifact = toolsInstalled("mender-artifact");

let sr: SlotRoot;
let server: Server;
let base = "";
let artifact = Buffer.alloc(0);
let dropAt = 0;
let served = 0;
const log = memoryLogger();
const image = pseudoRandom(900_000, 41);

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  await mkdir(sr.host("/art"), { recursive: true });
  await writeFile(sr.host("/art/rootfs.ext4"), image);
  execFileSync("mender-artifact", ["write", "rootfs-image", "--compression", "none", "-f", sr.host("/art/rootfs.ext4"), "-n", "r2", "-t", "raspberrypi4", "-o", sr.host("/art/u.mender")], { stdio: "ignore" });
  artifact = await readFile(sr.host("/art/u.mender"));
  served = 0;
  server = createServer((req, res) => {
    served += 1;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range && req.headers["if-range"] === '"a1"' ? Number(range[1]) : 0;
    const headers: Record<string, string | number> = { etag: '"a1"', "content-length": artifact.length - start };
    if (start > 0) headers["content-range"] = `bytes ${start}-${artifact.length - 1}/${artifact.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (served === 1 && dropAt > 0) {
      res.write(artifact.subarray(0, dropAt), () => res.socket?.destroy());
      return;
    }
    res.end(artifact.subarray(start));
  });
  base = await listenLoopback(server);
});
afterEach(async () => {
  await closeServer(server);
  await sr.cleanup();
});

function pipeline(boot: FakeBootloader): InstallPipeline {
  const settings = () => ({ frameBytes: 64 * 1024, readCompareWrite: true, readBackVerify: false });
  const module = new AbImageModule("rootfs-image", sr.platform, () => sr.slots, () => boot, settings);
  const http = new HttpSource(sr.platform, { connectTimeoutMs: 2000, stallTimeoutMs: 1000, retries: 2, backoffMs: 5 }, log);
  return new InstallPipeline(sr.platform, testConfig(), new SourceRegistry(() => [], [http]), new UpdateModuleRegistry(() => [module]));
}

const req = (sha256?: string) => ({
  deploymentId: "d1",
  uri: `${base}/u.mender`,
  workDir: "/data/d1",
  installed: { deviceType: "raspberrypi4", artifactName: "r1", provides: { artifact_name: "r1" } },
  signal: new AbortController().signal,
  log,
  ...(sha256 ? { sha256 } : {}),
});

describe.skipIf(!hasMenderArtifact)("install over HTTP", () => {
  it("connection-dropped-mid-payload: resumes and installs the exact image", async () => {
    dropAt = 600_000; // inside the rootfs payload
    const sha = createHash("sha256").update(artifact).digest("hex");
    const result = await pipeline(new FakeBootloader()).download(req(sha));
    expect(served).toBe(2);
    expect(result.sha256).toBe(sha);
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, image.length).equals(image)).toBe(true);
  });

  it("cancelled-mid-download: OTA_ERR_INSTALL_ABORTED, nothing armed", async () => {
    dropAt = 0;
    const boot = new FakeBootloader();
    const ac = new AbortController();
    const request = { ...req(), signal: ac.signal, onProgress: () => ac.abort() };
    const err = await pipeline(boot).download(request).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ABORTED")).toBe(true);
    expect(boot.calls).toEqual([]);
  });
});
