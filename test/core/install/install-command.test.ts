// `ota-agent install` through runCli: JSON progress and result, "written but not armed", arming, exit codes.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { FakeBootloader, makeSlotRoot, pseudoRandom, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";
import { installRegistry } from "./install-registry.js";

const hasMenderArtifact = toolsInstalled("mender-artifact");

let sr: SlotRoot;
let boot: FakeBootloader;
const system = pseudoRandom(600_000, 21);

async function cli(argv: string[], withBootloader = false): Promise<{ code: number; out: string; err: string }> {
  const config = join(sr.root, "config.json");
  return runCliCaptured(["--sysroot", sr.root, "--config", config, "--log-level", "silent", ...argv], { builtinPlugins: installRegistry(sr, withBootloader ? boot : undefined) });
}

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  boot = new FakeBootloader();
  await writeFile(join(sr.root, "config.json"), JSON.stringify({ deviceType: "raspberrypi4", dataDir: "/data" }));
  await mkdir(sr.host("/art"), { recursive: true });
  await writeFile(sr.host("/art/rootfs.ext4"), system);
  execFileSync("mender-artifact", ["write", "rootfs-image", "-f", sr.host("/art/rootfs.ext4"), "-n", "release-2", "-t", "raspberrypi4", "-o", sr.host("/art/u.mender")], { stdio: "ignore" });
});
afterEach(async () => {
  await sr.cleanup();
});

describe.skipIf(!hasMenderArtifact)("ota-agent install", () => {
  it("--json: progress lines then a result; without a bootloader the slot is written but not armed", async () => {
    const { code, out } = await cli(["install", "/art/u.mender", "--json"]);
    expect(code).toBe(EXIT.OK);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.event === "progress")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: "result", ok: true, artifactName: "release-2", armed: false, payloads: ["rootfs-image"] });
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, system.length).equals(system)).toBe(true);
  });

  it("with a bootloader plugin ArtifactInstall arms the trial, and the text output says so", async () => {
    const { code, out } = await cli(["install", "/art/u.mender"], true);
    expect(code).toBe(EXIT.OK);
    expect(out).toContain("armed");
    expect(boot.calls).toEqual(["armTrial(b)"]);
  });

  it("--sha256 mismatch: exit 1 with OTA_ERR_INSTALL_CHECKSUM, nothing armed", async () => {
    const { code, err } = await cli(["install", "/art/u.mender", "--sha256", "a".repeat(64)], true);
    expect(code).toBe(EXIT.FAILURE);
    expect(err).toContain("OTA_ERR_INSTALL_CHECKSUM");
    expect(boot.calls).toEqual([]);
  });

  it("the right --sha256 is accepted", async () => {
    const sha = createHash("sha256").update(await readFile(sr.host("/art/u.mender"))).digest("hex");
    expect((await cli(["install", "/art/u.mender", "--sha256", sha])).code).toBe(EXIT.OK);
  });

  it("usage errors exit 2", async () => {
    expect((await cli(["install"])).code).toBe(EXIT.USAGE);
    expect((await cli(["install", "/art/u.mender", "--sha256", "xyz"])).code).toBe(EXIT.USAGE);
    expect((await cli(["install", "/art/u.mender", "--bogus"])).code).toBe(EXIT.USAGE);
  });
});
