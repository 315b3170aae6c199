// `ota-agent install --reboot`, `resume`, `status`, `commit` and `rollback` through runCli on the simulated Pi.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { builtinPlugins } from "../../../plugins/builtin.js";
import { createSimHarness, type SimHarness } from "../../helpers/scenario-sim.js";
import { MATRIX_CONFIG } from "../../helpers/scenario-power-cut.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";

let h: SimHarness;

beforeEach(async () => {
  h = await createSimHarness({ config: MATRIX_CONFIG });
});
afterEach(async () => {
  await h.close();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliCaptured(["--config", h.device.configFile, "--log-level", "silent", ...argv], { builtinPlugins, platform: h.device.platform() });
}

async function status(): Promise<Record<string, unknown>> {
  const { code, out } = await cli("status", "--json");
  expect(code).toBe(EXIT.OK);
  return JSON.parse(out) as Record<string, unknown>;
}

describe("cli › deployment commands", () => {
  it("status on a fresh device: slot a committed, idle, no last result", async () => {
    expect(await status()).toMatchObject({ booted: "a", committed: "a", trial: false, state: "idle", deployment: null, lastResult: null, artifact: { name: "unknown" } });
  });

  it("install arms and waits; resume reboots into the trial; commit commits; status follows each step", async () => {
    const uri = await h.artifact({ name: "release-v2", version: "v2" });
    const installed = await cli("install", uri);
    expect(installed.code, installed.err).toBe(EXIT.OK);
    expect(installed.out).toContain("armed");
    expect(await status()).toMatchObject({ state: "AwaitReboot", armed: "b", deployment: { artifactName: "release-v2" } });

    expect((await cli("commit")).code, "nothing to commit before the trial reboot").toBe(EXIT.FAILURE);
    // the simulated reboot ends the process's work mid-command (runCli reports it); the request is what counts
    await cli("resume");
    expect(h.device.pendingReboot?.arg).toBe("0 tryboot");
    await h.device.boot();

    expect(await status()).toMatchObject({ booted: "b", committed: "a", trial: true, state: "ArtifactReboot" });
    const committed = await cli("commit", "--json");
    expect(committed.code, committed.err).toBe(EXIT.OK);
    expect(JSON.parse(committed.out)).toMatchObject({ kind: "success", artifactName: "release-v2", ok: true });
    expect(await status()).toMatchObject({
      booted: "b",
      committed: "b",
      state: "idle",
      artifact: { name: "release-v2", provides: { artifact_name: "release-v2", "rpi-ab-slot.version": "release-v2" } },
      lastResult: { result: "success", artifactName: "release-v2" },
    });
    expect((await cli("resume")).code, "nothing left to resume").toBe(EXIT.NOTHING_TO_DO);
  });

  it("rollback of an armed install disarms it and records a failure; a second install then works", async () => {
    const uri = await h.artifact({ name: "release-v2", version: "v2" });
    expect((await cli("install", uri)).code).toBe(EXIT.OK);
    expect((await cli("install", uri)).err).toContain("OTA_ERR_STATE_IN_PROGRESS");
    const rolled = await cli("rollback");
    expect(rolled.code, rolled.err).toBe(EXIT.OK);
    expect(rolled.out).toContain("rolled back");
    expect(await status()).toMatchObject({ committed: "a", armed: null, state: "idle", lastResult: { result: "rolled-back" } });
    expect((await cli("install", uri)).code).toBe(EXIT.OK);
  });

  it("rollback from inside the trial: reboots without tryboot to the committed slot; resume then reports the rollback", async () => {
    const uri = await h.artifact({ name: "release-v2", version: "v2" });
    await cli("install", uri, "--reboot");
    await h.device.boot();
    expect(await status()).toMatchObject({ booted: "b", committed: "a", trial: true });
    await cli("rollback");
    expect(h.device.pendingReboot, "a plain reboot, no tryboot").toBeDefined();
    expect(h.device.pendingReboot?.arg ?? "").not.toContain("tryboot");
    await h.device.boot();
    const resumed = await cli("resume");
    expect(resumed.code, resumed.err).toBe(EXIT.FAILURE);
    expect(await status()).toMatchObject({ booted: "a", committed: "a", trial: false, armed: null, state: "idle", lastResult: { result: "rolled-back" } });
  });

  it("install --reboot reboots into the trial at once; resume after the boot verifies, checks health and commits", async () => {
    const uri = await h.artifact({ name: "release-v2", version: "v2" });
    await cli("install", uri, "--reboot");
    expect(h.device.pendingReboot?.arg).toBe("0 tryboot");
    await h.device.boot();
    const resumed = await cli("resume");
    expect(resumed.code, resumed.err).toBe(EXIT.OK);
    expect(await status()).toMatchObject({ booted: "b", committed: "b", lastResult: { result: "success" } });
  });

  it("install of an artifact for another device type exits 1 with the reader's code and changes nothing", async () => {
    const uri = await h.artifact({ name: "release-v2", version: "v2", deviceType: "raspberrypi4" });
    const r = await cli("install", uri);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain("OTA_ERR_INSTALL_ARTIFACT_INVALID");
    expect(await status()).toMatchObject({ committed: "a", state: "idle", lastResult: { result: "failure" } });
  });
});
