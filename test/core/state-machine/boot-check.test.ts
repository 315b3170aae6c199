// The boot-time check on the simulated Pi: broken autoboot.txt repaired, stray trial disarmed, nothing touched mid-deployment.
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { createAgent, type Agent } from "../../../core/agent.js";
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import { resolve, resolveOptional } from "../../../core/di/resolve.js";
import { TOKENS } from "../../../core/di/tokens.js";
import { checkBootState, type BootCheckRunner } from "../../../core/state-machine/boot-check.js";
import { builtinPlugins } from "../../../plugins/builtin.js";
import { createLogSink, type LogSink } from "../../helpers/log-sink.js";
import { SimDevice, SimHalt, isSimStop, type SimDeviceOptions } from "../../sim/index.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";

const GARBLED = "\u0000\u0000#?boot_part\u0000=~~\n[al";
const DISARMED_A = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n";

const devices: SimDevice[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
  for (const d of devices.splice(0)) await d.close();
});

async function device(options: SimDeviceOptions = {}): Promise<SimDevice> {
  const d = await SimDevice.create(options);
  devices.push(d);
  return d;
}

interface Booted {
  runner: BootCheckRunner;
  bootloader: Bootloader;
  sink: LogSink;
}

/** An agent on the running boot, as the daemon builds it. */
async function agentOn(d: SimDevice): Promise<Booted> {
  const sink = createLogSink();
  const agent = await createAgent({ config: d.config(), platform: d.platform(), logger: sink.logger, builtinPlugins });
  agents.push(agent);
  const bootloader = resolveOptional(agent.container, TOKENS.Bootloader);
  if (!bootloader) throw new Error("no bootloader plugin loaded");
  return { runner: resolve(agent.container, TOKENS.DeploymentRunner), bootloader, sink };
}

/** Power cycle (a cut with nothing unsynced pending); the firmware reads autoboot.txt again. */
async function powerCycle(d: SimDevice): Promise<void> {
  d.powerCut();
  await d.boot();
}

describe("boot check: broken autoboot.txt", () => {
  it("autoboot-garbled-at-start: rewritten as the booted slot's disarmed default, and the next boot uses it", async () => {
    // Slot b is committed; the file is garbled; the firmware falls back to its default (p2 = slot a), which runs.
    const d = await device({ committed: "b" });
    await d.writeAutoboot(GARBLED);
    await powerCycle(d);
    expect(d.lastBoot?.slot).toBe("a");
    const { runner, bootloader, sink } = await agentOn(d);
    await expect(bootloader.state()).rejects.toMatchObject({ code: "OTA_ERR_BOOT_AUTOBOOT_INVALID" });

    expect(await checkBootState(runner, bootloader, sink.logger)).toEqual({ action: "repaired", booted: "a", fault: "OTA_ERR_BOOT_AUTOBOOT_INVALID" });
    expect((await d.autoboot()).text).toBe(DISARMED_A);
    expect(sink.events("boot-check.autoboot-repaired")).toHaveLength(1);
    expect(await bootloader.state()).toMatchObject({ booted: "a", committed: "a", armed: null, trial: false });
    // A stray "0 tryboot" is harmless now, and a second check finds nothing to do.
    expect(await checkBootState(runner, bootloader, sink.logger)).toEqual({ action: "ok", booted: "a" });
    await expect(d.platform().reboot("0 tryboot")).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "a", outcome: "up" });
  });

  it("autoboot-names-no-slot: boot_partition=7 (written while running; the firmware would hang on it) is repaired", async () => {
    const d = await device();
    await d.writeAutoboot("[all]\ntryboot_a_b=1\nboot_partition=7\n");
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toMatchObject({ action: "repaired", booted: "a" });
    expect(await d.autoboot()).toMatchObject({ committed: "a", trial: "a" });
  });

  it("autoboot-garbled-raw-fat: repaired in place on the unmounted bootconfig FAT", async () => {
    const d = await device({ bootconfig: "raw" });
    await d.writeAutoboot(GARBLED.padEnd(80, "x"));
    await powerCycle(d);
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toMatchObject({ action: "repaired", booted: "a" });
    expect(await d.autoboot()).toMatchObject({ committed: "a", trial: "a" });
  });

  it("power-cut-during-repair: every cut leaves the garbled file or the repaired one, and the device boots", async () => {
    const d = await device();
    let completed = false;
    for (let n = 1; n <= 20 && !completed; n++) {
      await d.writeAutoboot(GARBLED);
      const { runner, bootloader, sink } = await agentOn(d);
      d.armCut({ atWrite: n });
      try {
        await checkBootState(runner, bootloader, sink.logger);
        completed = true;
        d.disarmCut();
      } catch (err) {
        if (!isSimStop(err)) throw err;
      }
      await agents.pop()?.close();
      const text = (await d.autoboot()).text;
      expect([GARBLED, DISARMED_A]).toContain(text);
      if (d.status === "off") await d.boot();
      else await powerCycle(d);
      expect(d.lastBoot).toMatchObject({ slot: "a", outcome: "up" });
    }
    expect(completed).toBe(true);
    expect((await d.autoboot()).text).toBe(DISARMED_A);
  });

  it("power-cut-before-repair-write (checkpoint): the garbled file stays and the next check repairs it", async () => {
    const d = await device();
    await d.writeAutoboot(GARBLED);
    const first = await agentOn(d);
    d.armCut({ at: "tryboot:repair:before-write" });
    await expect(checkBootState(first.runner, first.bootloader, first.sink.logger)).rejects.toSatisfy(isSimStop);
    expect((await d.autoboot()).text).toBe(GARBLED);
    await d.boot();
    const second = await agentOn(d);
    expect(await checkBootState(second.runner, second.bootloader, second.sink.logger)).toMatchObject({ action: "repaired" });
    expect((await d.autoboot()).text).toBe(DISARMED_A);
  });
});

describe("boot check: stray trial", () => {
  it("stray-armed-trial-without-deployment: the factory's armed [tryboot] is disarmed, so 0 tryboot starts the committed slot", async () => {
    const d = await device(); // rpi-image-gen ships autoboot.txt armed: [tryboot] = the other slot
    expect((await d.autoboot()).trial).toBe("b");
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toEqual({ action: "disarmed", booted: "a", armed: "b" });
    expect(await d.autoboot()).toMatchObject({ committed: "a", trial: "a" });
    expect(sink.events("boot-check.stray-trial-disarmed")).toHaveLength(1);
    await expect(d.platform().reboot("0 tryboot")).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "a", outcome: "up" });
  });

  it("dry run (status): says what it would do and writes nothing", async () => {
    const d = await device();
    const before = (await d.autoboot()).text;
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger, { dryRun: true })).toEqual({ action: "disarm-needed", booted: "a", armed: "b" });
    await d.writeAutoboot(GARBLED);
    expect(await checkBootState(runner, bootloader, sink.logger, { dryRun: true })).toMatchObject({ action: "repair-needed" });
    expect((await d.autoboot()).text).toBe(GARBLED);
    await d.writeAutoboot(before ?? "");
    expect(sink.entries.filter((e) => String(e.event ?? "").startsWith("boot-check."))).toEqual([]);
  });
});

describe("boot check: leaves the boot choice alone", () => {
  it("deployment-in-progress: neither a stray-looking trial nor a garbled file is touched", async () => {
    const d = await device();
    const { bootloader, sink } = await agentOn(d);
    const busy: BootCheckRunner = { current: () => Promise.resolve({ state: "ArtifactReboot" }) };
    const armed = (await d.autoboot()).text;
    expect(await checkBootState(busy, bootloader, sink.logger)).toEqual({ action: "skipped", reason: "deployment-in-progress" });
    expect((await d.autoboot()).text).toBe(armed);
    await d.writeAutoboot(GARBLED);
    expect(await checkBootState(busy, bootloader, sink.logger)).toEqual({ action: "skipped", reason: "deployment-in-progress" });
    expect((await d.autoboot()).text).toBe(GARBLED);
    const unreadable: BootCheckRunner = { current: () => Promise.reject(new Error("EIO")) };
    expect(await checkBootState(unreadable, bootloader, sink.logger)).toEqual({ action: "skipped", reason: "record-unreadable" });
    expect((await d.autoboot()).text).toBe(GARBLED);
  });

  it("trial-boot-without-deployment: nothing is written; a plain reboot returns to the committed slot", async () => {
    const d = await device(); // armed: a stray "0 tryboot" starts slot b as a trial
    await expect(d.platform().reboot("0 tryboot")).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
    const before = (await d.autoboot()).text;
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toEqual({ action: "skipped", reason: "trial-boot" });
    expect((await d.autoboot()).text).toBe(before);
    expect(sink.events("boot-check.trial-without-deployment")).toHaveLength(1);
  });

  it("trial-boot-with-garbled-file: the repair is refused (the trial slot is not proven good)", async () => {
    const d = await device();
    await expect(d.platform().reboot("0 tryboot")).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
    await d.writeAutoboot(GARBLED);
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toMatchObject({ action: "error", code: "OTA_ERR_BOOT_REPAIR_REFUSED" });
    expect((await d.autoboot()).text).toBe(GARBLED);
    expect(sink.events("boot-check.failed")).toHaveLength(1);
  });

  it("booted-not-committed outside a trial: logged as an error and left alone", async () => {
    const d = await device({ autoboot: DISARMED_A });
    await expect(d.platform().reboot("3")).rejects.toBeInstanceOf(SimHalt); // "reboot 3": partition 3 once, no trial
    expect(await d.boot()).toMatchObject({ slot: "b", trial: false });
    const { runner, bootloader, sink } = await agentOn(d);
    expect(await checkBootState(runner, bootloader, sink.logger)).toEqual({ action: "booted-not-committed", booted: "b", committed: "a" });
    expect((await d.autoboot()).text).toBe(DISARMED_A);
    expect(sink.events("boot-check.booted-not-committed")).toMatchObject([{ level: "error", booted: "b", committed: "a" }]);
  });

  it("no bootloader plugin: skipped", async () => {
    const sink = createLogSink();
    expect(await checkBootState({ current: () => Promise.resolve(undefined) }, undefined, sink.logger)).toEqual({ action: "skipped", reason: "no-bootloader" });
  });
});

describe("boot check: through the CLI", () => {
  async function cli(d: SimDevice, ...argv: string[]): Promise<{ code: number; out: string }> {
    return runCliCaptured(["--config", d.configFile, "--log-level", "silent", ...argv], { builtinPlugins, platform: d.platform() });
  }

  it("status shows what the check would do; resume with nothing pending runs it (exit 3) and status then says ok", async () => {
    const d = await device();
    await d.writeAutoboot(GARBLED);
    const before = JSON.parse((await cli(d, "status", "--json")).out) as Record<string, unknown>;
    expect(before).toMatchObject({ bootCheck: { action: "repair-needed", fault: "OTA_ERR_BOOT_AUTOBOOT_INVALID" }, bootError: { code: "OTA_ERR_BOOT_AUTOBOOT_INVALID" } });
    expect((await d.autoboot()).text).toBe(GARBLED);

    const resumed = await cli(d, "--json", "resume");
    expect(resumed.code).toBe(EXIT.NOTHING_TO_DO);
    expect(JSON.parse(resumed.out)).toMatchObject({ bootCheck: { action: "repaired", booted: "a" } });
    expect((await d.autoboot()).text).toBe(DISARMED_A);
    const after = JSON.parse((await cli(d, "status", "--json")).out) as Record<string, unknown>;
    expect(after).toMatchObject({ booted: "a", committed: "a", armed: null, bootCheck: { action: "ok", booted: "a" } });
  });
});
