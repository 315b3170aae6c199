// Behaviour of the slot.map resolver: clear and mapper triplets, kpartx naming, and every malformed map.
import { describe, expect, it } from "vitest";
import { NodePlatform } from "../../../core/platform/index.js";
import { MapSlotResolver } from "../../../plugins/slots-map/map-slot-resolver.js";
import { parseSlotMap } from "../../../plugins/slots-map/slot-map-file.js";
import type { SlotSysrootSpec } from "../../helpers/slot-sysroot.js";
import { slotSysrootPerTest } from "../../helpers/slot-sysroot-per-test.js";
import { rejectionCode } from "../../helpers/rejection-code.js";

const buildSysroot = slotSysrootPerTest();

const CLEAR = "# clear layout\na.boot=::2\na.system=::4\n\nb.boot=::3\nb.system=::5\n";

async function setup(spec: SlotSysrootSpec) {
  const sr = await buildSysroot(spec);
  return { sr, resolver: new MapSlotResolver(new NodePlatform({ sysroot: sr.root })) };
}

describe("slots-map resolver", () => {
  it("clear-map booted p3: active b, other a", async () => {
    const { resolver } = await setup({ slotMap: CLEAR, partition: 3 });
    const layout = await resolver.resolve();
    expect(layout).toMatchObject({
      scheme: "slot-map",
      active: { slot: "b", boot: "/dev/mmcblk0p3", system: "/dev/mmcblk0p5", bootPartition: 3 },
      other: { slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mmcblk0p4", bootPartition: 2 },
      bootconfig: "/dev/mmcblk0p1",
      reason: "booted partition 3 (b.boot in /boot/slot.map)",
    });
  });

  it("mapper entries accept the kpartx <name>p<N> naming when only it exists", async () => {
    const { resolver } = await setup({
      partition: 2,
      labels: ["bootconfig", "boot_a", "boot_b", "cryptroot"],
      slotMap: "a.boot=::2\na.system=mapper:cryptroot:1\nb.boot=::3\nb.system=mapper:cryptroot:2\n",
      dm: [
        { kname: "dm-0", name: "cryptroot", slaves: ["mmcblk0p4"], table: ["system_a", "system_b"] },
        { kname: "dm-1", name: "cryptrootp1", slaves: ["dm-0"] },
        { kname: "dm-2", name: "cryptrootp2", slaves: ["dm-0"] },
      ],
    });
    const layout = await resolver.resolve();
    expect(layout.active.system).toBe("/dev/mapper/cryptrootp1");
    expect(layout.other.system).toBe("/dev/mapper/cryptrootp2");
  });

  it("mapper entries accept rpi-slot-static's <name><N> naming when only it exists", async () => {
    const { resolver } = await setup({
      partition: 3,
      labels: ["bootconfig", "boot_a", "boot_b", "cryptroot"],
      slotMap: "a.boot=::2\na.system=mapper:cryptroot:1\nb.boot=::3\nb.system=mapper:cryptroot:2\n",
      dm: [
        { kname: "dm-0", name: "cryptroot", slaves: ["mmcblk0p4"] },
        { kname: "dm-1", name: "cryptroot1", slaves: ["dm-0"] },
        { kname: "dm-2", name: "cryptroot2", slaves: ["dm-0"] },
      ],
    });
    expect((await resolver.resolve()).other.system).toBe("/dev/mapper/cryptroot1");
  });

  it("mapper-name-exists-in-both-namings is ambiguous", async () => {
    const { resolver } = await setup({
      slotMap: "a.boot=::2\na.system=mapper:c:1\nb.boot=::3\nb.system=::5\n",
      dm: [
        { kname: "dm-0", name: "c", slaves: ["mmcblk0p4"] },
        { kname: "dm-1", name: "c1", slaves: ["dm-0"] },
        { kname: "dm-2", name: "cp1", slaves: ["dm-0"] },
      ],
    });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_MAP_AMBIGUOUS");
  });

  it("mapper-device-absent is ambiguous (neither naming exists)", async () => {
    const { resolver } = await setup({ slotMap: "a.boot=::2\na.system=mapper:c:1\nb.boot=::3\nb.system=::5\n" });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_MAP_AMBIGUOUS");
  });

  it("slot-map-missing", async () => {
    const { resolver } = await setup({});
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_MAP_MISSING");
  });

  it("booted-partition-in-neither-slot", async () => {
    const { resolver } = await setup({ slotMap: CLEAR, partition: 6 });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_ACTIVE_UNKNOWN");
  });

  it("both-slots-name-the-same-system-partition is refused", async () => {
    const { resolver } = await setup({ slotMap: "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::4\n" });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_OVERLAP");
  });

  it("both-slots-name-the-booted-boot-partition is refused", async () => {
    const { resolver } = await setup({ slotMap: "a.boot=::2\na.system=::4\nb.boot=::2\nb.system=::5\n" });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_OVERLAP");
  });

  it("encrypted-boot-entry is refused", async () => {
    const { resolver } = await setup({ slotMap: "a.boot=mapper:x:2\na.system=::4\nb.boot=::3\nb.system=::5\n" });
    expect(await rejectionCode(resolver.resolve())).toBe("OTA_ERR_SLOT_MAP_INVALID");
  });
});

describe("slot.map parsing", () => {
  const bad = (text: string) => () => parseSlotMap(text);
  it.each([
    ["missing-key-b-system", "a.boot=::2\na.system=::4\nb.boot=::3\n", /missing b\.system/],
    ["partition-not-decimal", "a.boot=::2\na.system=::4x\nb.boot=::3\nb.system=::5\n", /not a positive decimal/],
    ["partition-zero", "a.boot=::0\na.system=::4\nb.boot=::3\nb.system=::5\n", /not a positive decimal/],
    ["partition-negative", "a.boot=::-2\na.system=::4\nb.boot=::3\nb.system=::5\n", /not a positive decimal/],
    ["unknown-kind", "a.boot=::2\na.system=lvm:x:4\nb.boot=::3\nb.system=::5\n", /unknown kind "lvm"/],
    ["mapper-without-name", "a.boot=::2\na.system=mapper::4\nb.boot=::3\nb.system=::5\n", /needs a NAME/],
    ["two-fields-only", "a.boot=::2\na.system=:4\nb.boot=::3\nb.system=::5\n", /not KIND:NAME:PART/],
    ["line-without-equals", "a.boot=::2\nfoo\n", /line 2: "foo"/],
    ["key-given-twice", "a.boot=::2\na.boot=::3\n", /given twice/],
  ])("%s is OTA_ERR_SLOT_MAP_INVALID", (_name, text, message) => {
    expect(bad(text)).toThrow(message);
    try {
      parseSlotMap(text);
    } catch (err) {
      expect((err as { code: string }).code).toBe("OTA_ERR_SLOT_MAP_INVALID");
    }
  });

  it("ignores comments, blank lines, CRLF and unknown keys", () => {
    const map = parseSlotMap("# x\r\n\r\nfoo=bar\r\na.boot=::2\r\na.system=::4\r\nb.boot=::3\r\nb.system=mapper:c:2\r\n");
    expect(map["b.system"]).toMatchObject({ kind: "mapper", name: "c", part: 2 });
  });
});
