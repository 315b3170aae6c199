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
import { rejectionCode } from "../helpers/rejection-code.js";
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
  ["slot-map-leading-zeros-booted-a", "map", { partition: 2, slotMap: "a.boot=::02\na.system=::004\nb.boot=::3\nb.system=::5\n" }],
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

// Layouts the resolvers refuse. The shell helpers run at boot, where refusing every alias would stop the active slot
// from booting: they refuse exactly the ambiguous aliases (none when the map itself is malformed), so an update can
// never be written through a by-slot link the agent would not have chosen.
const CLEAR_MAP = "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::5\n";
const refusals: [string, "label" | "map", SlotSysrootSpec, string, Record<string, string>][] = [
  [
    "duplicate-system-b-label",
    "label",
    { partition: 2, labels: ["bootconfig", "boot_a", "boot_b", "system_a", "system_b", "system_b"] },
    "OTA_ERR_SLOT_LABEL_DUPLICATE",
    { bootconfig: "/dev/mmcblk0p1", "active/boot": "/dev/mmcblk0p2", "other/boot": "/dev/mmcblk0p3", "active/system": "/dev/mmcblk0p4" },
  ],
  [
    "dm-partition-labelled-boot_b",
    "label",
    {
      partition: 2,
      labels: ["bootconfig", "boot_a", "osdata"],
      dm: [
        { kname: "dm-0", name: "osdata_crypt", slaves: ["mmcblk0p3"], table: ["boot_b", "system_a", "system_b"] },
        { kname: "dm-1", name: "osdata_cryptp1", slaves: ["dm-0"] },
        { kname: "dm-2", name: "osdata_cryptp2", slaves: ["dm-0"] },
        { kname: "dm-3", name: "osdata_cryptp3", slaves: ["dm-0"] },
      ],
    },
    "OTA_ERR_SLOT_LABEL_UNPAIRED",
    { bootconfig: "/dev/mmcblk0p1", "active/boot": "/dev/mmcblk0p2", "active/system": "/dev/dm-2", "other/system": "/dev/dm-3" },
  ],
  [
    "slot-map-both-slots-name-p4",
    "map",
    { partition: 2, slotMap: "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::4\n" },
    "OTA_ERR_SLOT_OVERLAP",
    { "active/boot": "/dev/mmcblk0p2", "other/boot": "/dev/mmcblk0p3" },
  ],
  [
    "slot-map-system-on-bootconfig",
    "map",
    { partition: 3, slotMap: "a.boot=::2\na.system=::1\nb.boot=::3\nb.system=::5\n" },
    "OTA_ERR_SLOT_OVERLAP",
    { "active/boot": "/dev/mmcblk0p3", "active/system": "/dev/mmcblk0p5", "other/boot": "/dev/mmcblk0p2" },
  ],
  ["slot-map-key-given-twice", "map", { partition: 2, slotMap: `${CLEAR_MAP}b.system=::6\n` }, "OTA_ERR_SLOT_MAP_INVALID", {}],
];

describe.each(refusals)("%s", (_name, scheme, spec, code, shellExpected) => {
  it(`the resolver refuses with ${code}; the shell helpers make no alias the resolver would not`, async () => {
    const sr = await buildSlotSysroot(spec);
    try {
      const platform = new NodePlatform({ sysroot: sr.root });
      const lineage = new SysfsBlockLineage(platform);
      const resolver =
        scheme === "label" ? new GptSlotResolver(platform, new CaptureLogger(), lineage) : new MapSlotResolver(platform, lineage);
      expect(await rejectionCode(resolver.resolve())).toBe(code);
      const devices = udevDevices(sr, { labels: scheme === "label" }, spec.dm ?? []);
      for (const shell of shells) {
        expect({ shell: shell.name, links: await shellLinks(shell, sr, devices) }).toEqual({ shell: shell.name, links: shellExpected });
      }
    } finally {
      await sr.cleanup();
    }
  });
});
