// `ota-agent install` while another live process (the daemon) holds the agent lock: exit 4, nothing written.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { makeSlotRoot, pseudoRandom, type SlotRoot } from "./install-fixtures.js";
import { toolsInstalled } from "../../helpers/tools-installed.js";
import { installRegistry } from "./install-registry.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";

const hasMenderArtifact = toolsInstalled("mender-artifact");
let sr: SlotRoot;

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  await writeFile(join(sr.root, "config.json"), JSON.stringify({ deviceType: "raspberrypi4", dataDir: "/data" }));
  await mkdir(sr.host("/art"), { recursive: true });
  await writeFile(sr.host("/art/rootfs.ext4"), pseudoRandom(300_000, 3));
  execFileSync("mender-artifact", ["write", "rootfs-image", "-f", sr.host("/art/rootfs.ext4"), "-n", "release-2", "-t", "raspberrypi4", "-o", sr.host("/art/u.mender")], { stdio: "ignore" });
});
afterEach(async () => {
  await sr.cleanup();
});

describe.skipIf(!hasMenderArtifact)("ota-agent install and the agent lock", () => {
  it("daemon-holds-the-lock: exit 4 naming the holder, the other slot untouched", async () => {
    await mkdir(sr.host("/data"), { recursive: true });
    // pid 1 is always alive: a live holder that is not this process
    await writeFile(sr.host("/data/agent.lock"), JSON.stringify({ pid: 1, command: "daemon", since: new Date().toISOString() }) + "\n");
    const before = await readFile(sr.host("/dev/system_b"));
    const { code, err } = await runCliCaptured(
      ["--sysroot", sr.root, "--config", join(sr.root, "config.json"), "--log-level", "silent", "install", "/art/u.mender"],
      { builtinPlugins: installRegistry(sr) },
    );
    expect(code).toBe(EXIT.LOCKED);
    expect(err).toContain("OTA_ERR_LOCKED");
    expect((await readFile(sr.host("/dev/system_b"))).equals(before)).toBe(true);
  });
});
