// The generator's units for both slots (golden files), its step-aside rules and its slot detection without udev.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeFakeDevice, link, type FakeDevice, type FakeDeviceOptions } from "./fake-device.js";
import { buildGenerator, dumpTree, golden, kmsg } from "./generator-harness.js";
import { isOtaError } from "../../../core/errors/index.js";
import type { SlotResolver } from "../../../core/capabilities/slot-resolver.js";

const SHARED = {
  "10-network.conf": "Version=1\nPath=/etc/NetworkManager/system-connections\nPath=var/lib/NetworkManager\n# comment\nUnknown=x\n",
  "20-ssh.conf": "Version=1\nPath=/etc/ssh/\nPath=/etc/ssh\n",
  "90-future.conf": "Version=2\nPath=/srv/never\n",
};

let devices: FakeDevice[] = [];
function device(options: FakeDeviceOptions): FakeDevice {
  const d = makeFakeDevice(options);
  devices.push(d);
  return d;
}
afterEach(() => {
  for (const d of devices) d.cleanup();
  devices = [];
});

describe("generator output for a plain A/B image (no rpi-image-gen generators)", () => {
  for (const slot of ["system_a", "system_b"] as const) {
    it(`binds /var of ${slot} and matches the golden units`, async () => {
      const d = device({ slot, slotShared: SHARED });
      const { generator } = buildGenerator(d);
      await generator.run(d.normalDir);
      const tree = dumpTree(d.normalDir);
      expect(tree).toContain(`What=/persistent/slots/${slot}/var\n`);
      expect(tree).toBe(golden(`${slot}.txt`, tree));
      // the Version=2 file is skipped and said so in the kernel log
      expect(kmsg(d)).toMatch(/<4>ota-agent-generator: .*90-future\.conf: Version=2/);
      expect(kmsg(d)).toContain(`booted ${slot} (root-partition`);
    });
  }
});

describe("stepping aside", () => {
  it("rpi-image-gen-head-image-gets-only-the-init-unit", async () => {
    const d = device({
      slot: "system_b",
      rpiPerstGenerator: true,
      rpiSharedGenerator: true,
      slotShared: SHARED,
      fstab:
        "/dev/disk/by-slot/active/system / erofs defaults 0 0\n" +
        "/persistent/home /home none bind,x-systemd.requires-mounts-for=/persistent/home 0 0\n" +
        "/persistent/log/journal /var/log/journal none bind 0 0\n",
    });
    const { generator } = buildGenerator(d);
    const plan = await generator.run(d.normalDir);
    const tree = dumpTree(d.normalDir);
    expect(tree).toBe(golden("rpi-image-gen-head.txt", tree));
    expect(plan.entries.map((e) => e.path).filter((p) => p.endsWith(".mount"))).toEqual([]);
    const log = kmsg(d);
    expect(log).toContain("slot-perst-generator emits them");
    expect(log).toContain("slot-shared-generator emits them");
    expect(log).toContain("/home is in /etc/fstab");
    expect(log).toContain("/var/log/journal is in /etc/fstab");
  });

  it("administrator-unit-in-etc-is-left-alone", async () => {
    const d = device({ slot: "system_a" });
    d.write("/etc/systemd/system/home.mount", "[Mount]\nWhat=/elsewhere\nWhere=/home\n");
    const { generator } = buildGenerator(d);
    await generator.run(d.normalDir);
    expect(existsSync(join(d.normalDir, "home.mount"))).toBe(false);
    expect(existsSync(join(d.normalDir, "var.mount"))).toBe(true);
    expect(kmsg(d)).toContain("/etc/systemd/system/home.mount exists");
  });

  it("oct-2025-image-without-by-slot-alias-mounts-by-label", async () => {
    const d = device({ slot: "system_a", byslotRule: false });
    const { generator } = buildGenerator(d);
    await generator.run(d.normalDir);
    const tree = dumpTree(d.normalDir);
    expect(tree).toContain("What=/dev/disk/by-label/PERSISTENT\n");
    expect(tree).toContain("== systemd-fsck@dev-disk-by\\x2dlabel-PERSISTENT.service.d/50-ota-agent-repair.conf\n");
    expect(tree).toContain("Requires=systemd-fsck@dev-disk-by\\x2dlabel-PERSISTENT.service\n");
  });

  it("existing by-slot link is used even without a rule", async () => {
    const d = device({ slot: "system_a", byslotRule: false });
    link(d.root, "../../mmcblk0p6", "/dev/disk/by-slot/persistent");
    const { generator } = buildGenerator(d);
    await generator.run(d.normalDir);
    expect(dumpTree(d.normalDir)).toContain("What=/dev/disk/by-slot/persistent\n");
  });
});

describe("booted slot without udev links", () => {
  it("root-inside-luks-falls-to-device-tree", async () => {
    const d = device({ slot: "system_b", rootPartName: false });
    const { detector } = buildGenerator(d);
    expect(await detector.detect()).toMatchObject({ slot: "system_b", source: "device-tree" });
  });

  it("no-kernel-facts-uses-the-slot-resolver", async () => {
    const d = device({ slot: "system_b", rootPartName: false, deviceTree: false });
    const resolver: SlotResolver = {
      scheme: "fake",
      resolve: () =>
        Promise.resolve({
          scheme: "fake",
          bootDisk: "/dev/mmcblk0",
          active: { slot: "b", boot: "/dev/mmcblk0p3", system: "/dev/mmcblk0p5", bootPartition: 3 },
          other: { slot: "a", boot: "/dev/mmcblk0p2", system: "/dev/mmcblk0p4", bootPartition: 2 },
          reason: "test",
        }),
    };
    const { detector } = buildGenerator(d, { resolver });
    expect(await detector.detect()).toMatchObject({ slot: "system_b", source: "slot-resolver" });
  });

  it("nothing-answers-falls-back-to-system_a-and-says-why", async () => {
    const d = device({ slot: "system_b", rootPartName: false, deviceTree: false });
    const { generator } = buildGenerator(d);
    await generator.run(d.normalDir);
    expect(dumpTree(d.normalDir)).toContain("What=/persistent/slots/system_a/var\n");
    expect(kmsg(d)).toMatch(/booted system_a \(fallback: no source answered .*partition name \(none\)/);
  });
});

it("generator-dir-outside-sysroot-is-refused", async () => {
  const d = device({ slot: "system_a" });
  const { generator } = buildGenerator(d);
  let caught: unknown;
  try {
    await generator.run("/definitely/not/in/sysroot");
  } catch (err) {
    caught = err;
  }
  expect(isOtaError(caught, "OTA_ERR_PERSIST_GENERATOR_DIR")).toBe(true);
});
