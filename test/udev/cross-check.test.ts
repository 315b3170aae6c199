// The shell helpers (what udev links) and the TypeScript resolvers must give identical answers on the same fixtures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, symlink } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { NodePlatform } from "../../core/platform/index.js";
import type { SlotLayout } from "../../core/capabilities/slot-resolver.js";
import { GptSlotResolver } from "../../plugins/slots-gpt/gpt-slot-resolver.js";
import { MapSlotResolver } from "../../plugins/slots-map/map-slot-resolver.js";
import { SysfsBlockLineage } from "../../plugins/devmapper/sysfs-block-lineage.js";
import { buildSlotSysroot, type SlotSysrootSpec } from "../helpers/slot-sysroot.js";
import { CaptureLogger } from "../plugins/slots-gpt/capture-logger.js";
import { cryptSpec } from "../plugins/devmapper/crypt-fixture.js";
import { makeShells, shellLinks, udevDevices, type Shell } from "./shell-runner.js";

let shells: Shell[] = [];
let dispose: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ shells, dispose } = await makeShells());
});
afterAll(() => dispose());

const MAPPER_MAP = "a.boot=::2\na.system=mapper:cryptroot:1\nb.boot=::3\nb.system=mapper:cryptroot:2\n";
const mapperDm = [
  { kname: "dm-0", name: "cryptroot", slaves: ["mmcblk0p4"] },
  { kname: "dm-1", name: "cryptrootp1", slaves: ["dm-0"] },
  { kname: "dm-2", name: "cryptrootp2", slaves: ["dm-0"] },
];

const cases: [string, "label" | "map", SlotSysrootSpec][] = [
  ["current-mmc-booted-a", "label", { partition: 2 }],
  ["current-mmc-booted-b", "label", { partition: 3 }],
  ["current-nvme-booted-b", "label", { bootMode: 6, partition: 3 }],
  ["legacy-mmc-booted-a", "label", { layout: "legacy", partition: 2 }],
  ["legacy-nvme-booted-b", "label", { layout: "legacy", bootMode: 6, partition: 3 }],
  ["dash-labels-booted-b", "label", { labels: ["bootconfig", "boot-a", "boot-b", "system-a", "system-b", "persistent"], partition: 3 }],
  ["bare-labels-booted-a", "label", { labels: ["config", "boota", "bootb", "systema", "systemb"], partition: 2 }],
  ["crypt-booted-a", "label", cryptSpec(2, { stick: true })],
  ["crypt-booted-b", "label", cryptSpec(3, { stick: true })],
  ["slot-map-clear-booted-b", "map", { partition: 3, slotMap: "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::5\n" }],
  ["slot-map-clear-nvme-booted-a", "map", { bootMode: 6, partition: 2, slotMap: "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::5\n" }],
  ["slot-map-kpartx-booted-b", "map", { partition: 3, labels: ["config", "boot_a", "boot_b", "cryptroot"], slotMap: MAPPER_MAP, dm: mapperDm }],
];

async function tsLinks(layout: SlotLayout, platform: NodePlatform, scheme: "label" | "map"): Promise<Record<string, string>> {
  const roles: [string, string | undefined][] = [
    ["active/boot", layout.active.boot],
    ["active/system", layout.active.system],
    ["other/boot", layout.other.boot],
    ["other/system", layout.other.system],
  ];
  // slot.map has no bootconfig/persistent keys: the static helper links only the four slot roles.
  if (scheme === "label") roles.push(["bootconfig", layout.bootconfig], ["persistent", layout.persistent]);
  const out: Record<string, string> = {};
  for (const [k, v] of roles) if (v !== undefined) out[k] = await platform.fs.realpath(v);
  return out;
}

describe.each(cases)("%s", (_name, scheme, spec) => {
  it("shell helpers and TypeScript resolver agree, under dash and busybox", async () => {
    const sr = await buildSlotSysroot(spec);
    try {
      const platform = new NodePlatform({ sysroot: sr.root });
      const lineage = new SysfsBlockLineage(platform);
      const resolver =
        scheme === "label" ? new GptSlotResolver(platform, new CaptureLogger(), lineage) : new MapSlotResolver(platform, lineage);
      const expected = await tsLinks(await resolver.resolve(), platform, scheme);
      expect(Object.keys(expected).length).toBeGreaterThanOrEqual(4);
      const devices = udevDevices(sr, { labels: scheme === "label" }, spec.dm ?? []);
      let made: Record<string, string> = {};
      for (const shell of shells) {
        made = await shellLinks(shell, sr, devices);
        expect({ shell: shell.name, links: made }).toEqual({ shell: shell.name, links: expected });
      }
      // Make the links as udev would (relative symlinks under /dev/disk/by-slot): the resolver's cross-check of
      // the same device must then accept them.
      for (const [name, devnode] of Object.entries(made)) {
        const link = sr.host(`/dev/disk/by-slot/${name}`);
        await mkdir(dirname(link), { recursive: true });
        await symlink(relative(dirname(link), sr.host(devnode)), link);
      }
      expect(await tsLinks(await resolver.resolve(), platform, scheme)).toEqual(expected);
    } finally {
      await sr.cleanup();
    }
  });
});
