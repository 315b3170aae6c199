// `ota-agent slots [--json] --sysroot DIR` end to end: the whole plugin host, slots-gpt, and device paths in the output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { buildSlotSysroot, type SlotSysroot } from "../../helpers/slot-sysroot.js";

const CLI = resolve(import.meta.dirname, "../../../bin/ota-agent.js");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr }),
    ),
  );
}

let good: SlotSysroot;
let broken: SlotSysroot;
beforeAll(async () => {
  good = await buildSlotSysroot({ partition: 3 });
  broken = await buildSlotSysroot({ partition: 3, labels: ["bootconfig", "boot_a", "boot_b", "system_a"] });
  for (const sr of [good, broken]) await writeFile(join(sr.root, "config.json"), "{}");
});
afterAll(async () => {
  await good.cleanup();
  await broken.cleanup();
});

describe("ota-agent slots", () => {
  it("--json prints the layout with device paths as the device sees them", async () => {
    const r = await run(["slots", "--json", "--sysroot", good.root, "--config", join(good.root, "config.json")]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      scheme: "gpt-label",
      bootDisk: "/dev/mmcblk0",
      active: { slot: "b", boot: "/dev/mmcblk0p3", system: "/dev/mmcblk0p5", bootPartition: 3 },
      other: { slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mmcblk0p4", bootPartition: 2 },
      bootconfig: "/dev/mmcblk0p1",
      persistent: "/dev/mmcblk0p6",
      reason: "booted partition 3 (label boot_b)",
    });
    expect(r.stdout).not.toContain(good.root);
  });

  it("prints a human table without --json", async () => {
    const r = await run(["slots", "--sysroot", good.root, "--config", join(good.root, "config.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^active\s+b\s+boot \/dev\/mmcblk0p3 \(partition 3\)\s+system \/dev\/mmcblk0p5$/m);
    expect(r.stdout).toMatch(/^reason\s+booted partition 3 \(label boot_b\)$/m);
  });

  it("labels-that-do-not-pair: exit 1 with the slot error code", async () => {
    const r = await run(["slots", "--json", "--sysroot", broken.root, "--config", join(broken.root, "config.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("OTA_ERR_SLOT_LABEL_UNPAIRED");
  });
});
