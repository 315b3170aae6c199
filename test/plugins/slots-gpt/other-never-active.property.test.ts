// Property: over generated layouts, a resolver returns a correct layout or an OTA_ERR_SLOT_* error, never other == active.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NodePlatform } from "../../../core/platform/index.js";
import type { SlotLayout } from "../../../core/capabilities/slot-resolver.js";
import { isOtaError } from "../../../core/errors/index.js";
import { GptSlotResolver } from "../../../plugins/slots-gpt/gpt-slot-resolver.js";
import { MapSlotResolver } from "../../../plugins/slots-map/map-slot-resolver.js";
import { buildSlotSysroot, type SlotSysrootSpec } from "../../helpers/slot-sysroot.js";
import { CaptureLogger } from "./capture-logger.js";

const LABELS = [
  "boot_a", "boot_b", "system_a", "system_b", "boot-a", "boot-b", "system-a", "system-b", "boota", "bootb",
  "systema", "systemb", "bootx_a", "bootx_b", "systemx_a", "systemx_b", "bootconfig", "config", "persistent",
  "BOOT_A", "bootax", "data", "boot_c", "system_ab", "boot_", "",
];
const ROLES = ["active/boot", "active/system", "other/boot", "other/system", "bootconfig", "persistent"];

/** Partition number of a "/dev/<disk>p<N>" path (mapper paths have none). */
const partNo = (dev: string): number | undefined => {
  const m = /^\/dev\/(?:mmcblk0|nvme0n1)p(\d+)$/.exec(dev);
  return m ? Number(m[1]) : undefined;
};

function assertSound(layout: SlotLayout, booted: number): void {
  const slotDevs = [layout.active.boot, layout.active.system, layout.other.boot, layout.other.system];
  expect(new Set(slotDevs).size).toBe(4);
  const nums = slotDevs.map(partNo).filter((n) => n !== undefined);
  expect(new Set(nums).size).toBe(nums.length);
  expect(layout.active.bootPartition).toBe(booted);
  expect(layout.other.bootPartition).not.toBe(booted);
  expect(partNo(layout.other.boot)).toBe(layout.other.bootPartition);
  expect(partNo(layout.active.boot)).toBe(booted);
  expect(layout.active.slot).not.toBe(layout.other.slot);
  for (const extra of [layout.bootconfig, layout.persistent]) if (extra) expect(slotDevs).not.toContain(extra);
}

async function outcome(spec: SlotSysrootSpec, make: (p: NodePlatform) => { resolve(): Promise<SlotLayout> }): Promise<void> {
  const sr = await buildSlotSysroot(spec);
  try {
    let layout: SlotLayout;
    try {
      layout = await make(new NodePlatform({ sysroot: sr.root })).resolve();
    } catch (err) {
      // The only acceptable failure is a clear slot error.
      if (!isOtaError(err) || !err.code.startsWith("OTA_ERR_SLOT_")) throw err;
      return;
    }
    assertSound(layout, spec.partition as number);
  } finally {
    await sr.cleanup();
  }
}

const bootMode = fc.constantFrom(1, 6, 1, 6, 4, 2, 0);
const links = (n: number) =>
  fc.dictionary(fc.constantFrom(...ROLES), fc.integer({ min: 1, max: n + 1 }).map((p) => p), { maxKeys: 4 });

describe("other never resolves to a partition of the booted slot", () => {
  it("slots-gpt over random label sets, boot modes, booted partitions and by-slot links", async () => {
    const labelsAndLinks = fc
      .array(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 8 })
      .chain((labels) => fc.tuple(fc.constant(labels), fc.option(links(labels.length), { nil: undefined })));
    await fc.assert(
      fc.asyncProperty(labelsAndLinks, bootMode, fc.integer({ min: 0, max: 9 }), async ([labels, linkSet], mode, partition) => {
        const disk = mode === 6 ? "nvme0n1" : "mmcblk0";
        const bySlot = linkSet
          ? Object.fromEntries(
              Object.entries(linkSet).map(([role, p]) => [role, `${"../".repeat(role.split("/").length + 1)}${disk}p${p}`]),
            )
          : undefined;
        await outcome({ labels: labels.map((l) => l || "x"), bootMode: mode, diskName: disk, partition, bySlot }, (p) =>
          new GptSlotResolver(p, new CaptureLogger()),
        );
      }),
      { numRuns: 120 },
    );
  });

  it("slots-gpt over generated well-formed layouts always resolves soundly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("_a", "-a", "a", "x_a"),
        fc.shuffledSubarray(["bootconfig", "persistent", "data"]),
        fc.boolean(),
        fc.constantFrom(1, 6),
        fc.infiniteStream(fc.integer()),
        async (suffix, extras, bootB, mode, rnd) => {
          const alt = suffix.slice(0, -1) + "b";
          const names = [`boot${suffix}`, `boot${alt}`, `system${suffix}`, `system${alt}`, ...extras];
          // Random order: the partition numbers move, the answer must follow the labels.
          const order = names.map((n) => [n, rnd.next().value] as const).sort((a, b) => a[1] - b[1]).map((x) => x[0]);
          const booted = order.indexOf(bootB ? `boot${alt}` : `boot${suffix}`) + 1;
          const sr = await buildSlotSysroot({ labels: order, bootMode: mode, partition: booted });
          try {
            const layout = await new GptSlotResolver(new NodePlatform({ sysroot: sr.root }), new CaptureLogger()).resolve();
            assertSound(layout, booted);
            expect(layout.active.slot).toBe(bootB ? "b" : "a");
            expect(partNo(layout.other.system)).toBe(order.indexOf(`system${bootB ? suffix : alt}`) + 1);
          } finally {
            await sr.cleanup();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("slots-map over random triplets", async () => {
    const triplet = fc.oneof(
      fc.integer({ min: 0, max: 8 }).map((n) => `::${n}`),
      fc.constantFrom("mapper:c:1", "mapper:c:2", "lvm:x:1", "::", "::2:3", "mapper::1", "::x"),
    );
    await fc.assert(
      fc.asyncProperty(fc.tuple(triplet, triplet, triplet, triplet), fc.integer({ min: 1, max: 7 }), bootMode, async (t, partition, mode) => {
        const keys = ["a.boot", "a.system", "b.boot", "b.system"];
        const slotMap = keys.map((k, i) => `${k}=${t[i]}`).join("\n") + "\n";
        const disk = mode === 6 ? "nvme0n1" : "mmcblk0";
        await outcome(
          {
            slotMap,
            bootMode: mode,
            diskName: disk,
            partition,
            dm: [
              { kname: "dm-0", name: "c", slaves: [`${disk}p4`] },
              { kname: "dm-1", name: "cp1", slaves: ["dm-0"] },
              { kname: "dm-2", name: "cp2", slaves: ["dm-0"] },
            ],
          },
          (p) => new MapSlotResolver(p),
        );
      }),
      { numRuns: 50 },
    );
  });
});
