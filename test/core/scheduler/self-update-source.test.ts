// The self-update source: reads only the artifact's name, skips installed and failed names, checksum-first checks.
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isOtaError } from "../../../core/errors/index.js";
import { SelfUpdateSource } from "../../../core/scheduler/self-update-source.js";
import { buildArtifactFile } from "../../helpers/scenario-sim.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";

let dir: string;
let artifact: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "self-update-"));
  artifact = join(dir, "latest.mender");
  await buildArtifactFile({ name: "release-2", version: "v2", deviceType: "raspberrypi5", systemBytes: 64 * 1024 }, artifact);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const installed = (artifactName: string) => ({ deviceType: "raspberrypi5", artifactName, provides: {} });

function source(options: { checkSha256Uri?: string; last?: { artifactName: string; result: string } } = {}) {
  const opened: string[] = [];
  const s = new SelfUpdateSource({
    uri: artifact,
    intervalMs: 3_600_000,
    ...(options.checkSha256Uri ? { checkSha256Uri: options.checkSha256Uri } : {}),
    open: async (uri) => {
      opened.push(uri);
      return { stream: createReadStream(uri) };
    },
    lastResult: async () => options.last,
    log: new MemoryLogger(),
  });
  return { s, opened };
}

describe("SelfUpdateSource", () => {
  it("offers an artifact whose name differs from the installed one, with a stable id", async () => {
    const { s } = source();
    const a = await s.nextDeployment(installed("release-1"));
    const b = await s.nextDeployment(installed("release-1"));
    expect(a).toMatchObject({ artifactName: "release-2", uri: artifact, server: "self-update", policy: { update: "forced" } });
    expect("id" in a && "id" in b && a.id === b.id).toBe(true);
  });

  it("offers nothing when the name is installed", async () => {
    expect(await source().s.nextDeployment(installed("release-2"))).toEqual({ kind: "nothing" });
  });

  it("failed-artifact-not-retried-every-interval: a name whose last deployment failed is skipped", async () => {
    const { s } = source({ last: { artifactName: "release-2", result: "rolled-back" } });
    expect(await s.nextDeployment(installed("release-1"))).toEqual({ kind: "nothing" });
  });

  it("reads the checksum file first and opens the artifact only when it changed; the download is checked against it", async () => {
    const sums = join(dir, "latest.sha256");
    await writeFile(sums, `${"ab".repeat(32)}  latest.mender\n`);
    const { s, opened } = source({ checkSha256Uri: sums });
    const first = await s.nextDeployment(installed("release-1"));
    expect(first).toMatchObject({ sha256: "ab".repeat(32) });
    await s.nextDeployment(installed("release-1"));
    expect(opened.filter((u) => u === artifact).length).toBe(1);
    await writeFile(sums, `${"cd".repeat(32)}\n`);
    await s.nextDeployment(installed("release-1"));
    expect(opened.filter((u) => u === artifact).length).toBe(2);
  });

  it("names an update.tar.zst after its checksum, and refuses one without a checksum file", async () => {
    const zst = join(dir, "update.tar.zst");
    await writeFile(zst, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)]));
    const sums = join(dir, "update.sha256");
    await writeFile(sums, `${"0f".repeat(32)}  update.tar.zst\n`);
    const make = (checkSha256Uri?: string) =>
      new SelfUpdateSource({
        uri: zst,
        intervalMs: 1000,
        ...(checkSha256Uri ? { checkSha256Uri } : {}),
        open: async (uri) => ({ stream: createReadStream(uri) }),
        lastResult: async () => undefined,
        log: new MemoryLogger(),
      });
    expect(await make(sums).nextDeployment(installed("release-1"))).toMatchObject({ artifactName: "update-0f0f0f0f0f0f", sha256: "0f".repeat(32) });
    expect(await make(sums).nextDeployment(installed("update-0f0f0f0f0f0f"))).toEqual({ kind: "nothing" });
    const err = await make().nextDeployment(installed("release-1")).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SCHEDULE_SOURCE")).toBe(true);
    expect((err as Error).message).toContain("checkSha256Uri");
  });

  it.each([
    ["checksum-file-garbage", "not a checksum\n", true],
    ["artifact-not-an-artifact", "", false],
  ])("%s is OTA_ERR_SCHEDULE_SOURCE", async (_name, sums, useSums) => {
    const bad = join(dir, "bad");
    await writeFile(bad, useSums ? sums : "this is no tar archive at all".repeat(40));
    const s = new SelfUpdateSource({
      uri: useSums ? artifact : bad,
      intervalMs: 1000,
      ...(useSums ? { checkSha256Uri: bad } : {}),
      open: async (uri) => ({ stream: createReadStream(uri) }),
      lastResult: async () => undefined,
      log: new MemoryLogger(),
    });
    const err = await s.nextDeployment(installed("release-1")).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SCHEDULE_SOURCE"), String(err)).toBe(true);
  });
});
