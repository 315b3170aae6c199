// `ota-agent install` with the real built-in plugins on the simulated Raspberry Pi: written, armed, trial boot of v2.
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../core/cli/exit-codes.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import { SimDevice, isSimStop, makeSlotImages } from "../sim/index.js";
import { toolsInstalled } from "../helpers/tools-installed.js";
import { runCliCaptured } from "../helpers/captured-cli.js";

const hasMenderArtifact = toolsInstalled("mender-artifact");

let device: SimDevice | undefined;
afterEach(async () => {
  await device?.close();
  device = undefined;
});

async function cli(d: SimDevice, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliCaptured(["--config", d.configFile, "--log-level", "silent", ...argv], { builtinPlugins, platform: d.platform() });
}

async function artifact(d: SimDevice, version: string, deviceType = d.deviceType): Promise<string> {
  const images = makeSlotImages({ version, fill: "pattern" });
  const dir = join(d.sysroot, "tmp/art");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "boot"), images.boot);
  await writeFile(join(dir, "system"), images.system);
  execFileSync("mender-artifact", ["write", "module-image", "-T", "rpi-ab-slot", "-n", `release-${version}`, "-t", deviceType, "-f", join(dir, "boot"), "-f", join(dir, "system"), "-o", join(d.sysroot, "tmp/u.mender")], { stdio: "ignore" });
  return "/tmp/u.mender";
}

describe.skipIf(!hasMenderArtifact)("ota-agent install on the simulated device", () => {
  it("writes the other slot and arms a trial; the trial reboot boots v2", async () => {
    device = await SimDevice.create();
    const uri = await artifact(device, "v2");
    const { code, out, err } = await cli(device, ["install", uri]);
    expect(err).toBe("");
    expect(code).toBe(EXIT.OK);
    expect(out).toContain("armed");
    // the reboot `--reboot` would do
    await device.platform().reboot("0 tryboot").catch((e: unknown) => {
      if (!isSimStop(e)) throw e;
    });
    const boot = await device.boot();
    expect(boot).toMatchObject({ slot: "b", trial: true, version: "v2", outcome: "up" });
  });

  it("wrong-device-type: exit 1, nothing written: even a trial reboot of the other slot still runs v1", async () => {
    device = await SimDevice.create();
    const uri = await artifact(device, "v2", "some-other-board");
    const { code, err } = await cli(device, ["install", uri]);
    expect(code).toBe(EXIT.FAILURE);
    expect(err).toContain("OTA_ERR_INSTALL_ARTIFACT_INVALID");
    await device.platform().reboot("0 tryboot").catch((e: unknown) => {
      if (!isSimStop(e)) throw e;
    });
    expect(await device.boot()).toMatchObject({ version: "v1" });
  });
});
