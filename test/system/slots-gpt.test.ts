// slots-gpt on real partition tables: sgdisk-made images on loop devices, device nodes in a sysroot, both layouts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../core/platform/index.js";
import { GptSlotResolver } from "../../plugins/slots-gpt/gpt-slot-resolver.js";
import { CaptureLogger } from "../plugins/slots-gpt/capture-logger.js";
import { buildSlotSysroot, rpiLayout } from "../helpers/slot-sysroot.js";
import { makeShells, shellLinks, udevDevices } from "../udev/shell-runner.js";

const isRoot = process.getuid?.() === 0;
const hasLoop = existsSync("/dev/loop-control");
const hasSgdisk = (() => {
  try {
    execFileSync("sgdisk", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !hasLoop
  ? "no /dev/loop-control on this machine"
  : !isRoot
    ? "needs root for losetup/partx/mknod"
    : !hasSgdisk
      ? "sgdisk (gdisk) is not installed"
      : "";

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: "utf8" }).trim();

interface Attached {
  image: string;
  loop: string;
}

/** A 64 MiB sparse image with rpi-image-gen's six partitions (p1 named per layout), attached with partitions. */
async function attach(dir: string, p1: string): Promise<Attached> {
  const image = join(dir, `${p1}.img`);
  sh("truncate", ["-s", "64M", image]);
  const parts = [
    [p1, "+4M", "0700"],
    ["boot_a", "+8M", "0700"],
    ["boot_b", "+8M", "0700"],
    ["system_a", "+12M", "8300"],
    ["system_b", "+12M", "8300"],
    ["persistent", "+8M", "8300"],
  ];
  const args = ["-o"];
  parts.forEach(([name, size, type], i) => args.push("-n", `${i + 1}:0:${size}`, "-c", `${i + 1}:${name}`, "-t", `${i + 1}:${type}`));
  sh("sgdisk", [...args, image]);
  const loop = sh("losetup", ["-f", "--show", image]);
  try {
    sh("partx", ["-a", loop]);
  } catch (err) {
    sh("losetup", ["-d", loop]);
    throw err;
  }
  return { image, loop };
}

function detach(a: Attached): void {
  try {
    sh("partx", ["-d", a.loop]);
  } finally {
    sh("losetup", ["-d", a.loop]);
  }
}

/** Block-device nodes in the sysroot with the loop devices' numbers (absolute symlinks would resolve inside it). */
async function sysroot(dir: string, a: Attached, disk: string, bootMode: number, partition: number): Promise<string> {
  const root = join(dir, `root-${disk}-${partition}-${a.loop.replace(/\//g, "_")}`);
  await mkdir(join(root, "dev"), { recursive: true });
  const node = (src: string, dst: string): void => {
    const [major, minor] = sh("stat", ["-L", "-c", "%Hr %Lr", src]).split(" ") as [string, string];
    execFileSync("mknod", [join(root, "dev", dst), "b", major, minor]);
  };
  node(a.loop, disk);
  for (let n = 1; n <= 6; n++) node(`${a.loop}p${n}`, `${disk}p${n}`);
  const dt = join(root, "proc/device-tree/chosen/bootloader");
  await mkdir(dt, { recursive: true });
  const u32 = (v: number): Buffer => Buffer.from([0, 0, 0, v]);
  await writeFile(join(dt, "boot-mode"), u32(bootMode));
  await writeFile(join(dt, "partition"), u32(partition));
  return root;
}

describe.skipIf(skipReason !== "")(`slots-gpt on loop devices${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let dir: string;
  const attached: Attached[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ota-system-slots-"));
    attached.push(await attach(dir, "bootconfig"), await attach(dir, "config"));
  });
  afterAll(async () => {
    for (const a of attached.splice(0)) detach(a);
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ["current layout, mmc, booted a", 0, "mmcblk0", 1, 2],
    ["current layout, nvme, booted b", 0, "nvme0n1", 6, 3],
    ["legacy layout, mmc, booted b", 1, "mmcblk0", 1, 3],
  ])("%s: resolves from the real table", async (_n, which, disk, bootMode, partition) => {
    const a = attached[which] as Attached;
    const root = await sysroot(dir, a, disk, bootMode, partition);
    const layout = await new GptSlotResolver(new NodePlatform({ sysroot: root }), new CaptureLogger()).resolve();
    const [act, oth] = partition === 2 ? [2, 3] : [3, 2];
    expect(layout.active).toEqual({ slot: partition === 2 ? "a" : "b", boot: `/dev/${disk}p${act}`, system: `/dev/${disk}p${act + 2}`, bootPartition: act });
    expect(layout.other).toEqual({ slot: partition === 2 ? "b" : "a", boot: `/dev/${disk}p${oth}`, system: `/dev/${disk}p${oth + 2}`, bootPartition: oth });
    expect(layout.bootconfig).toBe(`/dev/${disk}p1`);
    expect(layout.persistent).toBe(`/dev/${disk}p6`);
  });

  it("shell helpers and slots-gpt agree on the real devices (legacy layout, nvme, booted b)", async () => {
    const a = attached[1] as Attached;
    const sr = await buildSlotSysroot({ blockDevice: a.loop, labels: rpiLayout("legacy"), bootMode: 6, partition: 3 });
    const { shells, dispose } = await makeShells();
    try {
      const platform = new NodePlatform({ sysroot: sr.root });
      const layout = await new GptSlotResolver(platform, new CaptureLogger()).resolve();
      const expected = {
        "active/boot": layout.active.boot,
        "active/system": layout.active.system,
        "other/boot": layout.other.boot,
        "other/system": layout.other.system,
        bootconfig: layout.bootconfig,
        persistent: layout.persistent,
      };
      expect(expected["other/system"]).toBe("/dev/nvme0n1p4");
      for (const shell of shells) expect(await shellLinks(shell, sr, udevDevices(sr, { labels: true }))).toEqual(expected);
    } finally {
      await dispose();
      await sr.cleanup();
    }
  });

  it("damaged-primary-gpt on a loop device: the backup table is used, with a warning", async () => {
    const a = await attach(dir, "bootconfig");
    try {
      // Damage LBA 1 through the loop device itself (what a half-written table on a card looks like).
      execFileSync("dd", [`if=/dev/zero`, `of=${a.loop}`, "bs=512", "seek=1", "count=1", "conv=fsync,notrunc"], { stdio: "ignore" });
      const root = await sysroot(dir, a, "mmcblk0", 1, 3);
      const log = new CaptureLogger();
      const layout = await new GptSlotResolver(new NodePlatform({ sysroot: root }), log).resolve();
      expect(layout.other.boot).toBe("/dev/mmcblk0p2");
      expect(log.events()).toContain("slots.gpt.primary-damaged");
    } finally {
      detach(a);
    }
  });
});
