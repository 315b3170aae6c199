// Boot-disk lineage through device-mapper: LUKS2 containers from their header, kpartx partitions, decoys refused.
import { describe, expect, it } from "vitest";
import { NodePlatform } from "../../../core/platform/index.js";
import { SysfsBlockLineage } from "../../../plugins/devmapper/sysfs-block-lineage.js";
import { GptSlotResolver } from "../../../plugins/slots-gpt/gpt-slot-resolver.js";
import type { SlotSysrootSpec } from "../../helpers/slot-sysroot.js";
import { slotSysrootPerTest } from "../../helpers/slot-sysroot-per-test.js";
import { CaptureLogger } from "../slots-gpt/capture-logger.js";
import { cryptSpec } from "./crypt-fixture.js";
import { rejectionCode } from "../../helpers/rejection-code.js";

const buildSysroot = slotSysrootPerTest();

async function setup(spec: SlotSysrootSpec) {
  const sr = await buildSysroot(spec);
  const platform = new NodePlatform({ sysroot: sr.root });
  const lineage = new SysfsBlockLineage(platform);
  return { sr, platform, lineage, resolver: new GptSlotResolver(platform, new CaptureLogger(), lineage) };
}

describe("devmapper lineage", () => {
  it("walks slaves recursively: kpartx partition → crypt device → boot-disk partition", async () => {
    const { lineage } = await setup(cryptSpec(2));
    expect(await lineage.ancestors("dm-2")).toEqual(["dm-0", "mmcblk0p4"]);
    expect(await lineage.isOnDisk("/dev/mapper/osdata_cryptp2", "/dev/mmcblk0")).toBe(true);
    expect(await lineage.isOnDisk("/dev/mmcblk0p3", "/dev/mmcblk0")).toBe(true);
    expect(await lineage.isOnDisk("/dev/mmcblk0p3", "/dev/nvme0n1")).toBe(false);
  });

  it("recognises the LUKS2 container from its header and the dm device opened on it", async () => {
    const { lineage } = await setup(cryptSpec(2));
    expect(await lineage.luksContainers("/dev/mmcblk0")).toEqual([
      {
        device: "/dev/mmcblk0p4",
        label: "OSDATA_CRYPT",
        uuid: "0d1e2f30-4152-6374-8596-a7b8c9dae0f1",
        mapped: "/dev/mapper/osdata_crypt",
      },
    ]);
  });

  it("lists the boot disk's dm partitions and leaves a stick's out", async () => {
    const { lineage } = await setup(cryptSpec(2, { stick: true }));
    const parts = await lineage.mappedPartitions("/dev/mmcblk0");
    expect(parts.map((p) => [p.device, p.container, p.number])).toEqual([
      ["/dev/mapper/osdata_cryptp1", "/dev/mapper/osdata_crypt", 1],
      ["/dev/mapper/osdata_cryptp2", "/dev/mapper/osdata_crypt", 2],
      ["/dev/mapper/osdata_cryptp3", "/dev/mapper/osdata_crypt", 3],
    ]);
  });

  it("stick-dm-partition-as-target is refused", async () => {
    const { lineage } = await setup(cryptSpec(2, { stick: true }));
    expect(await rejectionCode(lineage.assertOnDisk("/dev/mapper/stick_cryptp2", "/dev/mmcblk0"))).toBe(
      "OTA_ERR_SLOT_NOT_ON_BOOT_DISK",
    );
  });

  it("slots-gpt resolves a crypt layout through the lineage (booted b)", async () => {
    const { resolver } = await setup(cryptSpec(3, { stick: true }));
    const layout = await resolver.resolve();
    expect(layout.active).toEqual({ slot: "b", boot: "/dev/mmcblk0p3", system: "/dev/mapper/osdata_cryptp2", bootPartition: 3 });
    expect(layout.other).toEqual({ slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mapper/osdata_cryptp1", bootPartition: 2 });
    expect(layout.persistent).toBe("/dev/mapper/osdata_cryptp3");
  });

  it("closed-container-with-stick-carrying-slot-labels: the stick's partitions are never taken", async () => {
    const { resolver } = await setup(cryptSpec(2, { opened: false, stick: true }));
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_LABEL_UNPAIRED");
  });

  it("slaves-cycle-in-sysfs does not hang the walk", async () => {
    const { lineage } = await setup({
      dm: [
        { kname: "dm-0", name: "x", slaves: ["dm-1"] },
        { kname: "dm-1", name: "y", slaves: ["dm-0"] },
      ],
    });
    expect(await lineage.isOnDisk("/dev/dm-0", "/dev/mmcblk0")).toBe(false);
  });
});
