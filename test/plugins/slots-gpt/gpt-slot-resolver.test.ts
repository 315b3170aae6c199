// Behaviour of the GPT-label slot resolver over sysroot fixtures: layouts, boot media, damaged tables, bad input.
import { describe, expect, it } from "vitest";
import { NodePlatform } from "../../../core/platform/index.js";
import { GptSlotResolver } from "../../../plugins/slots-gpt/gpt-slot-resolver.js";
import type { SlotSysrootSpec } from "../../helpers/slot-sysroot.js";
import { slotSysrootPerTest } from "../../helpers/slot-sysroot-per-test.js";
import { corruptGptHeader, writeGptImage } from "../../helpers/gpt-image.js";
import { rpiLayout } from "../../helpers/slot-sysroot.js";
import { CaptureLogger } from "./capture-logger.js";
import { rejectionCode } from "../../helpers/rejection-code.js";

const buildSysroot = slotSysrootPerTest();

async function setup(spec: SlotSysrootSpec) {
  const sr = await buildSysroot(spec);
  const log = new CaptureLogger();
  const resolver = new GptSlotResolver(new NodePlatform({ sysroot: sr.root }), log);
  return { sr, log, resolver };
}

describe("slots-gpt resolver", () => {
  it("booted-partition-2-is-slot-a: other slot is b (p3, p5)", async () => {
    const { resolver } = await setup({ partition: 2 });
    const layout = await resolver.resolve();
    expect(layout).toMatchObject({
      scheme: "gpt-label",
      bootDisk: "/dev/mmcblk0",
      active: { slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mmcblk0p4", bootPartition: 2 },
      other: { slot: "b", boot: "/dev/mmcblk0p3", system: "/dev/mmcblk0p5", bootPartition: 3 },
      bootconfig: "/dev/mmcblk0p1",
      persistent: "/dev/mmcblk0p6",
      reason: "booted partition 2 (label boot_a)",
    });
  });

  it("booted-partition-3-is-slot-b on nvme", async () => {
    const { resolver } = await setup({ bootMode: 6, partition: 3 });
    const layout = await resolver.resolve();
    expect(layout.active).toEqual({ slot: "b", boot: "/dev/nvme0n1p3", system: "/dev/nvme0n1p5", bootPartition: 3 });
    expect(layout.other).toEqual({ slot: "a", boot: "/dev/nvme0n1p2", system: "/dev/nvme0n1p4", bootPartition: 2 });
  });

  it("legacy-layout-p1-config is found as bootconfig", async () => {
    const { resolver } = await setup({ layout: "legacy", partition: 3 });
    expect((await resolver.resolve()).bootconfig).toBe("/dev/mmcblk0p1");
  });

  it.each([
    [["bootconfig", "boot-a", "boot-b", "system-a", "system-b"], "/dev/mmcblk0p5"],
    [["bootconfig", "boota", "bootb", "systema", "systemb"], "/dev/mmcblk0p5"],
    [["bootconfig", "bootx_a", "bootx_b", "systemx_a", "systemx_b"], "/dev/mmcblk0p5"],
  ])("label form %j pairs with its b form", async (labels, otherSystem) => {
    const { resolver } = await setup({ labels, partition: 2 });
    expect((await resolver.resolve()).other.system).toBe(otherSystem);
  });

  it("missing-boot-mode-node is OTA_ERR_SLOT_DT_MISSING", async () => {
    const { resolver } = await setup({ bootMode: null });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_DT_MISSING");
  });

  it("missing-partition-node is OTA_ERR_SLOT_DT_MISSING", async () => {
    const { resolver } = await setup({ partition: null });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_DT_MISSING");
  });

  it("truncated-dt-property is OTA_ERR_SLOT_DT_MISSING", async () => {
    const { resolver } = await setup({ rawDt: { partition: Buffer.from([0, 2]) } });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_DT_MISSING");
  });

  it("usb-boot-mode-4 is unsupported", async () => {
    const { resolver } = await setup({ bootMode: 4, diskName: "mmcblk0" });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_BOOT_MODE_UNSUPPORTED");
  });

  it("booted-partition-not-in-table", async () => {
    const { resolver } = await setup({ partition: 9 });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_PARTITION_NOT_FOUND");
  });

  it("booted-from-bootconfig has a bad boot label", async () => {
    const { resolver } = await setup({ partition: 1 });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_BAD");
  });

  it("upper-case-labels are refused like rpi-slot-label does", async () => {
    const { resolver } = await setup({ labels: ["bootconfig", "BOOT_A", "BOOT_B", "SYSTEM_A", "SYSTEM_B"] });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_BAD");
  });

  it("boota-star-label-without-trailing-letter is refused (would pair with itself)", async () => {
    const { resolver } = await setup({ labels: ["bootconfig", "bootax", "bootbx", "systemax", "systembx"] });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_BAD");
  });

  it("labels-that-do-not-pair: no system_b", async () => {
    const { resolver } = await setup({ labels: ["bootconfig", "boot_a", "boot_b", "system_a", "persistent"] });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_UNPAIRED");
  });

  it("duplicate-system-label is refused", async () => {
    const { resolver } = await setup({ labels: ["bootconfig", "boot_a", "boot_b", "system_a", "system_b", "system_b"] });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_DUPLICATE");
  });

  it("damaged-primary-gpt: backup is used, with a warning", async () => {
    const { sr, resolver, log } = await setup({ partition: 3 });
    await corruptGptHeader(sr.host(sr.disk), "primary");
    expect((await resolver.resolve()).other.boot).toBe("/dev/mmcblk0p2");
    expect(log.events()).toContain("slots.gpt.primary-damaged");
  });

  it("damaged-primary-entry-array: backup is used", async () => {
    const { sr, resolver, log } = await setup({ partition: 2 });
    await corruptGptHeader(sr.host(sr.disk), "primary-entries");
    expect((await resolver.resolve()).other.boot).toBe("/dev/mmcblk0p3");
    expect(log.events()).toContain("slots.gpt.primary-damaged");
  });

  it("image-on-a-larger-card with damaged primary entries: the backup is found where the primary header says", async () => {
    const { sr, resolver, log } = await setup({ partition: 3 });
    // dd of an image to a bigger card: the backup header stays at the image's end, the card's last LBA is empty.
    const { truncate } = await import("node:fs/promises");
    const { statSync } = await import("node:fs");
    await corruptGptHeader(sr.host(sr.disk), "primary-entries");
    await truncate(sr.host(sr.disk), statSync(sr.host(sr.disk)).size + 4 * 1024 * 1024);
    expect((await resolver.resolve()).other).toMatchObject({ slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mmcblk0p4" });
    expect(log.events()).toContain("slots.gpt.primary-damaged");
  });

  it("damaged-backup-gpt: the primary is used, with a warning that nothing is left to fall back on", async () => {
    const { sr, resolver, log } = await setup({ partition: 2 });
    expect(log.events()).not.toContain("slots.gpt.backup-damaged");
    await resolver.resolve();
    expect(log.events()).not.toContain("slots.gpt.backup-damaged");
    await corruptGptHeader(sr.host(sr.disk), "backup");
    expect((await resolver.resolve()).other.boot).toBe("/dev/mmcblk0p3");
    expect(log.events()).toContain("slots.gpt.backup-damaged");
    expect(log.events()).not.toContain("slots.gpt.primary-damaged");
  });

  it.each([
    ["system_b-inside-system_a", "system_b", 4],
    ["persistent-over-other-boot", "persistent", 3],
  ])("overlapping-extents %s: OTA_ERR_SLOT_OVERLAP though the numbers differ", async (_n, moved, onto) => {
    const { sr, resolver } = await setup({ partition: 2 });
    // Rewrite the table: `moved` starts inside partition `onto` (distinct numbers, shared sectors).
    const start = (sr.partitions.find((p) => p.number === onto)?.startLba ?? 0) + 8;
    await writeGptImage(sr.host(sr.disk), {
      sizeBytes: 16 * 1024 * 1024,
      partitions: rpiLayout().map((name) => ({ name, sizeBytes: 1024 * 1024, ...(name === moved ? { startLba: start } : {}) })),
    });
    const err = await resolver.resolve().catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: "OTA_ERR_SLOT_OVERLAP" });
    expect((err as { message: string }).message).toContain("shares sectors");
    expect((err as { message: string }).message).toContain(`"${moved}"`);
  });

  it("both-gpt-headers-damaged is OTA_ERR_SLOT_GPT_INVALID", async () => {
    const { sr, resolver } = await setup({});
    await corruptGptHeader(sr.host(sr.disk), "primary");
    await corruptGptHeader(sr.host(sr.disk), "backup");
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_GPT_INVALID");
  });

  it("boot-disk-missing is OTA_ERR_SLOT_DISK_UNREADABLE", async () => {
    const { sr, resolver } = await setup({});
    const { rm } = await import("node:fs/promises");
    await rm(sr.host(sr.disk));
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_DISK_UNREADABLE");
  });

  it("partition-device-node-missing is OTA_ERR_SLOT_PARTITION_NOT_FOUND", async () => {
    const { resolver } = await setup({ partitionNodes: false });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_PARTITION_NOT_FOUND");
  });

  it("by-slot links that agree are accepted", async () => {
    const { resolver } = await setup({
      partition: 3,
      bySlot: {
        "active/boot": "../../../mmcblk0p3",
        "active/system": "../../../mmcblk0p5",
        "other/boot": "../../../mmcblk0p2",
        "other/system": "../../../mmcblk0p4",
        bootconfig: "../../mmcblk0p1",
        persistent: "../../mmcblk0p6",
      },
    });
    expect((await resolver.resolve()).active.slot).toBe("b");
  });

  it("by-slot-link-disagrees-with-table is an error, not a guess", async () => {
    const { resolver } = await setup({ partition: 3, bySlot: { "other/system": "../../../mmcblk0p5" } });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LINK_MISMATCH");
  });

  it("dangling-by-slot-link is a mismatch", async () => {
    const { resolver } = await setup({ partition: 2, bySlot: { "other/boot": "../../../mmcblk0p9" } });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LINK_MISMATCH");
  });
});
