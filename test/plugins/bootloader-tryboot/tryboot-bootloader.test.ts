// bootloader-tryboot on the simulated Raspberry Pi: arm, trial reboot, detection, commit, disarm, refusals, power cuts.
import { afterEach, describe, expect, it } from "vitest";
import type { Platform } from "../../../core/capabilities/platform.js";
import type { SlotLayout, SlotName, SlotResolver } from "../../../core/capabilities/slot-resolver.js";
import { isOtaError } from "../../../core/errors/index.js";
import { silentLogger } from "../../../core/logging/create-logger.js";
import { TrybootConfigSchema, type TrybootConfig } from "../../../plugins/bootloader-tryboot/manifest.js";
import { TrybootBootloader } from "../../../plugins/bootloader-tryboot/tryboot-bootloader.js";
import { SimDevice, SimHalt, SimPowerCut, makeSlotImages, type SimDeviceOptions } from "../../sim/index.js";

const devices: SimDevice[] = [];
async function device(options: SimDeviceOptions = {}): Promise<SimDevice> {
  const d = await SimDevice.create(options);
  devices.push(d);
  return d;
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

const PART: Record<SlotName, number> = { a: 2, b: 3 };

/** Follows the device tree like a real resolver; `lie` reports the other slot as active (a broken layout). */
function dtResolver(platform: Platform, lie = false): SlotResolver {
  return {
    scheme: "test-dt",
    async resolve(): Promise<SlotLayout> {
      const partition = (await platform.fs.readFile("/proc/device-tree/chosen/bootloader/partition")).readUInt32BE(0);
      let active: SlotName = partition === 3 ? "b" : "a";
      if (lie) active = active === "a" ? "b" : "a";
      const other: SlotName = active === "a" ? "b" : "a";
      const devs = (s: SlotName) => ({ slot: s, boot: `/dev/mmcblk0p${PART[s]}`, system: `/dev/mmcblk0p${PART[s] + 2}`, bootPartition: PART[s] });
      return { scheme: "test-dt", bootDisk: "/dev/mmcblk0", active: devs(active), other: devs(other), bootconfig: "/dev/mmcblk0p1", reason: "test" };
    },
  };
}

function bootloader(d: SimDevice, config: Partial<TrybootConfig> = {}, lie = false): TrybootBootloader {
  const platform = d.platform();
  return new TrybootBootloader(platform, dtResolver(platform, lie), silentLogger(), TrybootConfigSchema.parse(config));
}

const fragment = (all: number, tryboot: number): string =>
  `[all]\ntryboot_a_b=1\nboot_partition=${all}\n[tryboot]\nboot_partition=${tryboot}\n`;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOtaError(err) ? err.code : err).toBe(code);
}

/** Writes `version` into `slot` through the platform (tracked: unsynced data dies in a cut), then syncs. */
async function writeSlot(platform: Platform, slot: SlotName, version: string): Promise<void> {
  const img = makeSlotImages({ version, systemBytes: 64 * 1024, bootBytes: 64 * 1024 });
  for (const [dev, buf] of [
    [`/dev/mmcblk0p${PART[slot]}`, img.boot],
    [`/dev/mmcblk0p${PART[slot] + 2}`, img.system],
  ] as const) {
    const fh = await platform.fs.open(dev, "r+");
    try {
      await fh.write(buf, 0, buf.length, 0);
      await fh.sync();
    } finally {
      // a cut throws from write or sync: the handle is closed here, not left to the garbage collector
      await fh.close();
    }
  }
}

describe("bootloader-tryboot: the deployment cycle", () => {
  it("reads the factory state: slot a booted and committed, rpi-image-gen's file armed at b", async () => {
    const d = await device();
    expect(await bootloader(d).state()).toMatchObject({ booted: "a", committed: "a", trial: false, armed: "b" });
  });

  it("arms, reboots into the trial, detects it, commits, and the next normal boot stays on the new slot", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    const bl = bootloader(d);
    await bl.commit("a"); // normalise to the disarmed resting state
    expect((await bl.state()).armed).toBeNull();
    await bl.armTrial("b");
    expect((await d.autoboot()).text).toBe(fragment(2, 3));
    await expect(bl.reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    expect(d.pendingReboot).toEqual({ arg: "0 tryboot" });
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true, version: "v2" });

    const inTrial = bootloader(d);
    expect(await inTrial.state()).toMatchObject({ booted: "b", committed: "a", trial: true });
    await inTrial.commit("b");
    expect((await d.autoboot()).text).toBe(fragment(3, 3));
    expect(await inTrial.state()).toMatchObject({ booted: "b", committed: "b", armed: null });
    await expect(inTrial.reboot({ trial: false })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: false, version: "v2" });
  });

  it("rollback: a normal reboot from an uncommitted trial returns to the committed slot", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2", behaviour: "unhealthy" });
    await bootloader(d).armTrial("b");
    await expect(bootloader(d).reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true, outcome: "up-unhealthy" });
    await expect(bootloader(d).reboot({ trial: false })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false, version: "v1" });
    expect(await bootloader(d).state()).toMatchObject({ booted: "a", committed: "a" });
  });

  it("disarm makes a stray \"0 tryboot\" harmless and writes nothing when already disarmed", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    const bl = bootloader(d);
    await bl.armTrial("b");
    await bl.disarm();
    expect((await d.autoboot()).text).toBe(fragment(2, 2));
    d.armCut({ atWrite: 1 });
    await bl.disarm(); // a write would cut power here
    d.disarmCut();
    await expect(bl.reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "a", trial: true, version: "v1" });
    // The uncommitted-trial check is about slots, not the flag: this boot may arm again.
    await bootloader(d).armTrial("b");
  });

  it("arm is idempotent: the second call writes nothing", async () => {
    const d = await device();
    const bl = bootloader(d);
    await bl.armTrial("b");
    d.armCut({ atWrite: 1 });
    await bl.armTrial("b");
    d.disarmCut();
    expect(d.writesSeen).toEqual([]);
  });
});

describe("bootloader-tryboot: refusals", () => {
  it("uncommitted-trial: refuses to arm while a trial boot runs, leaving autoboot.txt as it was", async () => {
    const d = await device();
    await bootloader(d).armTrial("b");
    await expect(bootloader(d).reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    await d.boot();
    const before = (await d.autoboot()).text;
    await expectCode(bootloader(d).armTrial("a"), "OTA_ERR_BOOT_UNCOMMITTED_TRIAL");
    expect((await d.autoboot()).text).toBe(before);
  });

  it("booted-not-committed outside a trial (reboot \"3\"): refuses to arm", async () => {
    const d = await device();
    await expect(d.platform().reboot("3")).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: false });
    expect(await bootloader(d).state()).toMatchObject({ booted: "b", committed: "a", trial: false });
    await expectCode(bootloader(d).armTrial("a"), "OTA_ERR_BOOT_UNCOMMITTED_TRIAL");
  });

  it("arm-running-slot and commit-other-slot are caller bugs with their own code", async () => {
    const d = await device();
    await expectCode(bootloader(d).armTrial("a"), "OTA_ERR_BOOT_TARGET_INVALID");
    await expectCode(bootloader(d).commit("b"), "OTA_ERR_BOOT_TARGET_INVALID");
  });

  it("old-eeprom: capabilities without TRYBOOT_A_B refuse to arm; absent capabilities do not", async () => {
    const old = await device({ capabilities: 0x08 });
    await bootloader(old).commit("a");
    await expect(bootloader(old).armTrial("b")).rejects.toMatchObject({ code: "OTA_ERR_BOOT_TRYBOOT_UNSUPPORTED", message: expect.stringContaining("TRYBOOT_A_B (bit 2)") });
    expect((await old.autoboot()).text).toBe(fragment(2, 2));
    // TRYBOOT_A_B without TRYBOOT: the one-shot flag itself is not supported
    const noFlag = await device({ capabilities: 0x04 });
    await bootloader(noFlag).commit("a");
    await expect(bootloader(noFlag).armTrial("b")).rejects.toMatchObject({ code: "OTA_ERR_BOOT_TRYBOOT_UNSUPPORTED", message: expect.stringContaining("TRYBOOT (bit 3)") });
    expect((await noFlag.autoboot()).text).toBe(fragment(2, 2));
    const unknown = await device({ capabilities: null });
    await bootloader(unknown).armTrial("b");
    expect((await unknown.autoboot()).trial).toBe("b");
  });

  it("slot-layout-disagrees-with-device-tree: every call fails before writing", async () => {
    const d = await device();
    const before = (await d.autoboot()).text;
    await expectCode(bootloader(d, {}, true).state(), "OTA_ERR_BOOT_SLOT_MISMATCH");
    await expectCode(bootloader(d, {}, true).armTrial("a"), "OTA_ERR_BOOT_SLOT_MISMATCH");
    expect((await d.autoboot()).text).toBe(before);
  });

  it("autoboot-garbled: state names the problem and commit of the running slot repairs the file", async () => {
    const d = await device();
    await d.writeAutoboot("[all]\nboot_partition=banana\n");
    await expectCode(bootloader(d).state(), "OTA_ERR_BOOT_AUTOBOOT_INVALID");
    await bootloader(d).commit("a");
    expect((await d.autoboot()).text).toBe(fragment(2, 2));
  });

  it("autoboot-missing (mounted mode): a clear error, not a guess", async () => {
    const d = await device();
    await d.platform().fs.unlink("/bootfs/autoboot.txt");
    await expectCode(bootloader(d, { bootconfig: "mounted" }).state(), "OTA_ERR_BOOT_AUTOBOOT_MISSING");
    await expectCode(bootloader(d, { bootconfig: "mounted" }).disarm(), "OTA_ERR_BOOT_AUTOBOOT_INVALID");
  });

  it("bootfs-mounted-but-file-missing (auto): never falls back to raw sector writes under a mounted FAT", async () => {
    const d = await device();
    const fs = d.platform().fs;
    await fs.mkdir("/proc/self", { recursive: true });
    await fs.writeFile("/proc/self/mountinfo", "30 1 179:2 / / ro - ext4 /dev/mmcblk0p4 ro\n41 30 179:1 / /bootfs rw - vfat /dev/mmcblk0p1 rw\n");
    await fs.unlink("/bootfs/autoboot.txt");
    await expectCode(bootloader(d).state(), "OTA_ERR_BOOT_AUTOBOOT_MISSING");
    await bootloader(d).commit("a"); // recreates the file through the mounted path
    expect((await d.autoboot()).text).toBe(fragment(2, 2));
  });

  it("device-tree-missing: not booted by the Pi firmware", async () => {
    const d = await device();
    await d.platform().fs.unlink("/proc/device-tree/chosen/bootloader/partition");
    await expectCode(bootloader(d).state(), "OTA_ERR_BOOT_DT_MISSING");
  });

  it("autoboot-foreign-lines: kept in their sections; too many of them is refused before writing", async () => {
    const d = await device();
    await d.writeAutoboot("# factory\n[all]\ntryboot_a_b=1\nboot_partition=2\nfoo=bar\n[tryboot]\nboot_partition=3\n[none]\nx=1\n");
    await bootloader(d).commit("a");
    expect((await d.autoboot()).text).toBe(
      "[all]\ntryboot_a_b=1\nboot_partition=2\n# factory\nfoo=bar\n[tryboot]\nboot_partition=2\n[none]\nx=1\n",
    );
    const big = `[all]\nboot_partition=2\n${"# padding padding padding padding padding\n".repeat(12)}`;
    await d.writeAutoboot(big);
    await expectCode(bootloader(d).armTrial("b"), "OTA_ERR_BOOT_AUTOBOOT_TOO_LARGE");
    expect((await d.autoboot()).text).toBe(big);
  });
});

describe("bootloader-tryboot: autoboot-write-power-cut", () => {
  const cases = [
    { mode: "mounted", dropUnsynced: true },
    { mode: "mounted", dropUnsynced: false },
    { mode: "raw", dropUnsynced: true },
    { mode: "raw", dropUnsynced: false },
  ] as const;
  for (const { mode, dropUnsynced } of cases) {
    const how = `${mode}, ${dropUnsynced ? "unsynced writes dropped" : "unsynced writes kept"}`;

    it(`${how}: a cut at every write of "write slot b, arm" leaves old or new, never torn, never armed at an unwritten slot`, async () => {
      const d = await device({ bootconfig: mode, slotB: null });
      await bootloader(d).commit("a");
      const disarmed = (await d.autoboot()).text;
      let n = 1;
      for (; n < 200; n++) {
        d.armCut({ atWrite: n, dropUnsynced });
        try {
          await writeSlot(d.platform(), "b", "v2");
          await bootloader(d).armTrial("b");
          d.disarmCut();
          break;
        } catch (err) {
          expect(err).toBeInstanceOf(SimPowerCut);
        }
        await d.boot(); // power on after the cut
        const ab = await d.autoboot();
        if (ab.trial === "b") {
          expect(ab.text?.replace(/\n+$/, "\n")).toBe(fragment(2, 3));
          expect((await d.slotMarker("b"))?.version).toBe("v2");
        } else {
          expect(ab.text).toBe(disarmed);
        }
        // The trial reboot lands on a bootable slot whatever the cut left.
        await expect(d.platform().reboot("0 tryboot")).rejects.toBeInstanceOf(SimHalt);
        expect((await d.boot()).outcome).toBe("up");
        // Start the next round from a blank, disarmed slot b again.
        d.powerCut();
        await d.boot();
        await d.flashSlot("b", { version: "blank", bootBytes: 64 * 1024, systemBytes: 64 * 1024 });
        await d.writeAutoboot(disarmed ?? "");
      }
      expect(n).toBeGreaterThan(6);
      expect((await d.autoboot()).trial).toBe("b");
      expect(d.openFiles()).toEqual([]);
    });

    it(`${how}: a cut at every write of commit leaves the old or the new committed slot`, async () => {
      const d = await device({ bootconfig: mode });
      await d.flashSlot("b", { version: "v2" });
      let n = 1;
      for (; n < 50; n++) {
        await bootloader(d).armTrial("b");
        await expect(bootloader(d).reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
        expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
        d.armCut({ atWrite: n, dropUnsynced });
        try {
          await bootloader(d).commit("b");
          d.disarmCut();
          break;
        } catch (err) {
          expect(err).toBeInstanceOf(SimPowerCut);
        }
        const r = await d.boot();
        const ab = await d.autoboot();
        expect(r.slot).toBe(ab.committed);
        expect(ab.text?.replace(/\n+$/, "\n")).toBe(r.slot === "b" ? fragment(3, 3) : fragment(2, 3));
        if (r.slot === "b") break; // the commit was durable before the cut
      }
      expect(n).toBeGreaterThan(1);
      expect(await d.autoboot()).toMatchObject({ committed: "b" });
      expect(d.openFiles()).toEqual([]);
    });
  }
});

describe("bootloader-tryboot: raw bootconfig", () => {
  it("reads and rewrites autoboot.txt inside a real FAT image in place; mtools sees the new file", async () => {
    const d = await device({ bootconfig: "raw" });
    await d.flashSlot("b", { version: "v2" });
    const bl = bootloader(d);
    expect(await bl.state()).toMatchObject({ committed: "a", details: { autobootMode: "raw" } });
    await bl.commit("a");
    expect((await d.autoboot()).text).toBe(fragment(2, 2));
    await bl.armTrial("b");
    await expect(bl.reboot({ trial: true })).rejects.toBeInstanceOf(SimHalt);
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
  });

  it("a longer file goes through mcopy and is padded so the next write is in place", async () => {
    const d = await device({ bootconfig: "raw" });
    await d.writeAutoboot("[all]\nboot_partition=2\n");
    const bl = bootloader(d);
    await bl.commit("a");
    const text = (await d.autoboot()).text ?? "";
    expect(text.length).toBe(256);
    expect(text.replace(/\n+$/, "\n")).toBe(fragment(2, 2));
    d.armCut({ atWrite: 1 });
    await expect(bl.armTrial("b")).rejects.toBeInstanceOf(SimPowerCut); // in place: through platform.fs
  });
});
