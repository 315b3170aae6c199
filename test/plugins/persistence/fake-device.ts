// Builds a sysroot that looks like an rpi-image-gen A/B device at generator time (kernel facts only, no udev links).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface FakeDeviceOptions {
  /** Which system slot is booted. */
  slot: "system_a" | "system_b";
  /** Give the root mount a partition name in sysfs (false: root inside LUKS, no PARTNAME). */
  rootPartName?: boolean;
  /** Give the device tree and the booted boot partition's sysfs entry. */
  deviceTree?: boolean;
  /** Ship rpi-image-gen's image udev rule (by-slot/persistent alias). */
  byslotRule?: boolean;
  rpiPerstGenerator?: boolean;
  rpiSharedGenerator?: boolean;
  fstab?: string;
  slotShared?: Record<string, string>;
}

export interface FakeDevice {
  root: string;
  normalDir: string;
  earlyDir: string;
  lateDir: string;
  write(path: string, content: string | Buffer): void;
  cleanup(): void;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

export function makeFakeDevice(options: FakeDeviceOptions): FakeDevice {
  const root = mkdtempSync(join(tmpdir(), "ota-persist-"));
  const write = (path: string, content: string | Buffer): void => {
    const host = join(root, path);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, content);
  };
  const b = options.slot === "system_b";
  const systemPart = b ? 5 : 4;
  const bootPart = b ? 3 : 2;
  write(
    "/proc/self/mountinfo",
    [
      `22 1 179:${systemPart} / / ro,relatime shared:1 - erofs /dev/mmcblk0p${systemPart} ro`,
      "23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw",
      "",
    ].join("\n"),
  );
  write(
    `/sys/dev/block/179:${systemPart}/uevent`,
    `MAJOR=179\nMINOR=${systemPart}\nDEVNAME=mmcblk0p${systemPart}\nDEVTYPE=partition\nPARTN=${systemPart}\n` +
      (options.rootPartName === false ? "" : `PARTNAME=${options.slot}\n`),
  );
  if (options.deviceTree !== false) {
    write("/proc/device-tree/chosen/bootloader/boot-mode", u32(1));
    write("/proc/device-tree/chosen/bootloader/partition", u32(bootPart));
    write("/proc/device-tree/chosen/bootloader/tryboot", u32(0));
    write(`/sys/class/block/mmcblk0p${bootPart}/uevent`, `DEVNAME=mmcblk0p${bootPart}\nPARTN=${bootPart}\nPARTNAME=boot_${b ? "b" : "a"}\n`);
  }
  if (options.byslotRule !== false) {
    write(
      "/etc/udev/rules.d/99-rpi-05-image.rules",
      'SUBSYSTEM=="block", ENV{RPI_ONBOOTDEV}=="1", ENV{ID_PART_ENTRY_NAME}=="persistent", SYMLINK+="disk/by-slot/persistent"\n',
    );
  }
  if (options.rpiPerstGenerator) write("/usr/lib/systemd/system-generators/slot-perst-generator", "#!/bin/sh\n");
  if (options.rpiSharedGenerator) write("/usr/lib/systemd/system-generators/slot-shared-generator", "#!/bin/sh\n");
  if (options.fstab !== undefined) write("/etc/fstab", options.fstab);
  for (const [name, text] of Object.entries(options.slotShared ?? {})) write(`/etc/rpi-image-gen/slot-shared.d/${name}`, text);
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  mkdirSync(join(root, "dev"), { recursive: true });
  const normalDir = join(root, "run/systemd/generator");
  const earlyDir = join(root, "run/systemd/generator.early");
  const lateDir = join(root, "run/systemd/generator.late");
  for (const dir of [normalDir, earlyDir, lateDir]) mkdirSync(dir, { recursive: true });
  return { root, normalDir, earlyDir, lateDir, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A symlink helper for tests that need by-slot links present. */
export function link(root: string, target: string, path: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
}
