// `ota-agent tryboot-fragment` and the plugin's wiring: real slots-gpt resolver on the simulated device, shell twin parity.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, symlink } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { container } from "tsyringe";
import { afterEach, describe, expect, it } from "vitest";
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import type { CliCommand } from "../../../core/capabilities/cli-command.js";
import type { StateStore } from "../../../core/capabilities/state-store.js";
import { TOKENS } from "../../../core/di/tokens.js";
import { silentLogger } from "../../../core/logging/create-logger.js";
import plugin from "../../../plugins/bootloader-tryboot/index.js";
import { GptSlotResolver } from "../../../plugins/slots-gpt/gpt-slot-resolver.js";
import { SimDevice, SimHalt } from "../../sim/index.js";

const execFileAsync = promisify(execFile);
const TWIN = resolvePath(import.meta.dirname, "../../../udev/ota-slot-tryboot");
const devices: SimDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

/** Sets the plugin up the way the host does: a child scope holding core services and the slot resolver. */
async function setUp(d: SimDevice): Promise<{ bootloader: Bootloader; command: CliCommand }> {
  const platform = d.platform();
  const scope = container.createChildContainer();
  scope.register(TOKENS.Platform, { useValue: platform });
  scope.register(TOKENS.SlotResolver, { useValue: new GptSlotResolver(platform, silentLogger()) });
  const config = plugin.manifest.config?.parse({});
  const result = await plugin.setup(scope, {
    log: silentLogger(),
    store: {} as StateStore,
    config: config as never,
    signal: new AbortController().signal,
    agent: { version: "0.1.0", dataDir: d.dataDir, sysroot: d.sysroot },
  });
  return { bootloader: result.exports.bootloader as Bootloader, command: result.exports["cli-command"] as CliCommand };
}

async function runCommand(command: CliCommand, args: string[] = []): Promise<{ code: number; out: string }> {
  let out = "";
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await command.run(args, { stdout, stderr: stdout, isTty: false, json: false });
  return { code, out };
}

describe("bootloader-tryboot: wiring and tryboot-fragment", () => {
  it("drives a whole trial on the simulated device through the slots-gpt resolver", async () => {
    const d = await SimDevice.create();
    devices.push(d);
    await d.flashSlot("b", { version: "v2" });
    const { bootloader } = await setUp(d);
    await bootloader.armTrial("b");
    await expect(bootloader.reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
    const inTrial = (await setUp(d)).bootloader;
    await inTrial.commit("b");
    expect(await inTrial.state()).toMatchObject({ booted: "b", committed: "b", trial: true, armed: null });
  });

  it("prints exactly rpi-slot-tryboot's fragment: [all] = active, [tryboot] = other", async () => {
    const d = await SimDevice.create({ committed: "b" });
    devices.push(d);
    const { command } = await setUp(d);
    expect(command.name).toBe("tryboot-fragment");
    expect(await runCommand(command)).toEqual({
      code: 0,
      out: "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n",
    });
    await expect(runCommand(command, ["extra"])).rejects.toMatchObject({ code: "OTA_ERR_USAGE" });
  });

  it.skipIf(!existsSync(TWIN))("prints the same bytes as the shell twin udev/ota-slot-tryboot", async () => {
    const d = await SimDevice.create({ committed: "b" });
    devices.push(d);
    // The twin resolves links with the host's readlink -f, so give it relative links as udev makes them on a device.
    for (const [role, part] of [["active", 3], ["other", 2]] as const) {
      const link = d.path(`/dev/disk/by-slot/${role}/boot`);
      await rm(link);
      await symlink(`../../../mmcblk0p${part}`, link);
    }
    const shell = await execFileAsync("sh", [TWIN], { env: { ...process.env, OTA_SYSROOT: d.sysroot } });
    const { command } = await setUp(d);
    expect((await runCommand(command)).out).toBe(shell.stdout);
  });
});
