// Property: over generated label layouts, the shell helpers (dash) and slots-gpt agree whenever slots-gpt answers,
// make no alias at all when the booted label is bad, and never link "other" to a partition of the booted slot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { NodePlatform } from "../../core/platform/index.js";
import { isOtaError } from "../../core/errors/index.js";
import { GptSlotResolver } from "../../plugins/slots-gpt/gpt-slot-resolver.js";
import { buildSlotSysroot } from "../helpers/slot-sysroot.js";
import { CaptureLogger } from "../plugins/slots-gpt/capture-logger.js";
import { makeShells, shellLinks, udevDevices, type Shell } from "./shell-runner.js";

let dash: Shell;
let dispose: () => Promise<void> = async () => {};
beforeAll(async () => {
  const made = await makeShells();
  dash = made.shells.find((s) => s.name === "dash") as Shell;
  dispose = made.dispose;
});
afterAll(() => dispose());

const LABELS = [
  "boot_a", "boot_b", "system_a", "system_b", "boot-a", "boot-b", "system-a", "system-b", "boota", "bootb",
  "systema", "systemb", "bootconfig", "config", "persistent", "BOOT_A", "bootax", "data", "boot_c",
];

let agreed = 0;
describe("shell helpers and slots-gpt over generated layouts", () => {
  it("agree when the resolver answers; otherwise never point other/* at the booted slot", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.array(fc.constantFrom(...LABELS), { minLength: 2, maxLength: 7 }), fc.integer({ min: 1, max: 7 })),
          // Well-formed layouts in any order, booted from one of their boot partitions: the agreeing branch.
          fc
            .tuple(fc.constantFrom("_a", "-a", "a", "x_a"), fc.shuffledSubarray(["bootconfig", "persistent", "data", "config"]), fc.boolean())
            .chain(([s, extras, bootB]) => {
              const alt = `${s.slice(0, -1)}b`;
              const names = [`boot${s}`, `boot${alt}`, `system${s}`, `system${alt}`, ...extras];
              return fc
                .shuffledSubarray(names, { minLength: names.length })
                .map((order) => [order, order.indexOf(bootB ? `boot${alt}` : `boot${s}`) + 1] as [string[], number]);
            }),
        ),
        fc.constantFrom(1, 6),
        async ([labels, partition], bootMode) => {
          const sr = await buildSlotSysroot({ labels, bootMode, partition });
          try {
            const platform = new NodePlatform({ sysroot: sr.root });
            const links = await shellLinks(dash, sr, udevDevices(sr, { labels: true }));
            let expected: Record<string, string> | undefined;
            try {
              const l = await new GptSlotResolver(platform, new CaptureLogger()).resolve();
              expected = {
                "active/boot": l.active.boot,
                "active/system": l.active.system,
                "other/boot": l.other.boot,
                "other/system": l.other.system,
              };
              if (l.bootconfig) expected.bootconfig = l.bootconfig;
              if (l.persistent) expected.persistent = l.persistent;
            } catch (err) {
              if (!isOtaError(err) || !err.code.startsWith("OTA_ERR_SLOT_")) throw err;
              if (["OTA_ERR_SLOT_LABEL_BAD", "OTA_ERR_SLOT_PARTITION_NOT_FOUND"].includes(err.code)) {
                expect(links).toEqual({});
              }
            }
            if (expected) {
              agreed++;
              expect(links).toEqual(expected);
            }
            // Whatever happened: "other" never names a partition whose label carries the booted label's suffix.
            const bootedLabel = labels[partition - 1] ?? "";
            const suffix = bootedLabel.startsWith("boot") ? bootedLabel.slice(4) : undefined;
            for (const role of ["other/boot", "other/system"]) {
              const dev = links[role];
              if (dev === undefined || suffix === undefined) continue;
              const label = labels[Number(/p(\d+)$/.exec(dev)?.[1]) - 1];
              expect([`boot${suffix}`, `system${suffix}`]).not.toContain(label);
            }
          } finally {
            await sr.cleanup();
          }
        },
      ),
      { numRuns: 30 },
    );
    // The agreeing branch must have run, or this property proves nothing about agreement.
    expect(agreed).toBeGreaterThan(0);
  });
});
