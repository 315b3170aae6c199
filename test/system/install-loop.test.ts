// Installs into real loop-device partitions: block-device identity checks, sparse writes, disk full on a tiny filesystem.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodePlatform } from "../../core/platform/index.js";
import { AbImageModule } from "../../plugins/module-ab-image/ab-image-module.js";
import type { SlotLayout } from "../../core/capabilities/slot-resolver.js";
import type { PayloadFile } from "../../core/capabilities/update-module.js";
import { isOtaError } from "../../core/errors/index.js";
import { encodeSparseBuffer } from "../../artifacts/index.js";
import { FakeBootloader, memoryLogger, moduleContext, pseudoRandom } from "../core/install/install-fixtures.js";

const isRoot = process.getuid?.() === 0;
const hasLoop = existsSync("/dev/loop-control");
const skipReason = !isRoot ? "needs root" : !hasLoop ? "no /dev/loop-control" : "";
const MiB = 1024 * 1024;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function file(name: string, data: Buffer): PayloadFile {
  return { name, size: data.length, stream: Readable.from([data]) };
}
async function* files(...list: PayloadFile[]): AsyncGenerator<PayloadFile> {
  yield* list;
}

describe.skipIf(!!skipReason)(`install into loop partitions${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let work: string;
  let loop = "";
  let sysroot: string;
  const parts: Record<string, string> = {};
  const log = memoryLogger();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "ota-sys-install-"));
    const disk = join(work, "disk.img");
    await writeFile(disk, "");
    await truncate(disk, 40 * MiB);
    sh("sgdisk", ["-n1:2048:+2M", "-c1:boot_a", "-n2:0:+2M", "-c2:boot_b", "-n3:0:+8M", "-c3:system_a", "-n4:0:+8M", "-c4:system_b", disk]);
    loop = sh("losetup", ["-f", "--show", disk]).trim();
    sh("partx", ["-a", loop]);
    sysroot = join(work, "root");
    await mkdir(join(sysroot, "dev/disk/by-slot/active"), { recursive: true });
    await mkdir(join(sysroot, "dev/disk/by-slot/other"), { recursive: true });
    // device nodes inside the sysroot, same major:minor as the loop partitions
    for (const [n, name] of [[1, "boot_a"], [2, "boot_b"], [3, "system_a"], [4, "system_b"]] as const) {
      const [maj, min] = (await readFile(`/sys/class/block/${loop.slice(5)}p${n}/dev`, "utf8")).trim().split(":");
      sh("mknod", [join(sysroot, "dev", name), "b", maj!, min!]);
      parts[name] = `${loop}p${n}`;
      if (!existsSync(parts[name])) sh("mknod", [parts[name], "b", maj!, min!]);
    }
    for (const p of ["boot", "system"]) {
      await symlink(`/dev/${p}_a`, join(sysroot, `dev/disk/by-slot/active/${p}`));
      await symlink(`/dev/${p}_b`, join(sysroot, `dev/disk/by-slot/other/${p}`));
    }
  });
  afterAll(async () => {
    if (loop) {
      try {
        sh("partx", ["-d", loop]);
      } finally {
        sh("losetup", ["-d", loop]);
      }
    }
    await rm(work, { recursive: true, force: true });
  });

  const layout = (otherSystem = "/dev/disk/by-slot/other/system"): SlotLayout => ({
    scheme: "test",
    bootDisk: "/dev/disk0",
    active: { slot: "a", boot: "/dev/disk/by-slot/active/boot", system: "/dev/disk/by-slot/active/system", bootPartition: 1 },
    other: { slot: "b", boot: "/dev/disk/by-slot/other/boot", system: otherSystem, bootPartition: 2 },
    reason: "loop",
  });
  const module = (l: SlotLayout, type: "rpi-ab-slot" | "rootfs-image" = "rpi-ab-slot"): AbImageModule =>
    new AbImageModule(type, new NodePlatform({ sysroot }), () => ({ scheme: "test", resolve: () => Promise.resolve(l) }), () => new FakeBootloader(), () => ({ frameBytes: MiB, readCompareWrite: true, readBackVerify: true }));
  const ctx = (): ReturnType<typeof moduleContext> => moduleContext("/work/payloads/0000", log);

  it("writes raw boot and sparse system images into the other slot's block devices", async () => {
    const bootImg = pseudoRandom(MiB + 4096, 1);
    const sys = Buffer.alloc(6 * MiB);
    pseudoRandom(2 * MiB, 2).copy(sys, 0);
    sys.fill(7, 3 * MiB, 4 * MiB);
    await module(layout()).download(ctx(), files(file("boot", bootImg), file("system", await encodeSparseBuffer(sys, { dontCareZeros: false }))));
    expect((await readFile(parts.boot_b!)).subarray(0, bootImg.length).equals(bootImg)).toBe(true);
    expect((await readFile(parts.system_b!)).subarray(0, sys.length).equals(sys)).toBe(true);
  });

  it("other-system-node-aliases-active-system: refused by rdev, active partition untouched", async () => {
    const [maj, min] = (await readFile(`/sys/class/block/${loop.slice(5)}p3/dev`, "utf8")).trim().split(":");
    sh("mknod", [join(sysroot, "dev/alias"), "b", maj!, min!]);
    const before = await readFile(parts.system_a!);
    const err = await module(layout("/dev/alias"), "rootfs-image")
      .download(ctx(), files(file("rootfs.ext4", pseudoRandom(MiB, 3))))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ACTIVE_SLOT")).toBe(true);
    expect((await readFile(parts.system_a!)).equals(before)).toBe(true);
  });

  it("partition-too-small: a 9 MiB image for an 8 MiB partition is refused before writing", async () => {
    const before = await readFile(parts.system_b!);
    const err = await module(layout(), "rootfs-image")
      .download(ctx(), files(file("rootfs.ext4", pseudoRandom(9 * MiB, 4))))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_TOO_LARGE")).toBe(true);
    expect((await readFile(parts.system_b!)).equals(before)).toBe(true);
  });

  it("disk-full: a file target on a full filesystem fails with OTA_ERR_INSTALL_WRITE (ENOSPC)", async () => {
    // a tiny ext4 on its own loop device, mounted privately under the test dir; the target file is sparse, so
    // its size passes the size check and the writes then run out of space
    const img = join(work, "tiny.img");
    await writeFile(img, "");
    await truncate(img, 4 * MiB);
    sh("mkfs.ext4", ["-q", "-F", img]);
    const tinyLoop = sh("losetup", ["-f", "--show", img]).trim();
    const mnt = join(sysroot, "mnt");
    await mkdir(mnt, { recursive: true });
    try {
      sh("mount", [tinyLoop, mnt]);
      try {
        await writeFile(join(mnt, "system"), "");
        await truncate(join(mnt, "system"), 16 * MiB);
        const err = await module(layout("/mnt/system"), "rootfs-image")
          .download(ctx(), files(file("rootfs.ext4", pseudoRandom(12 * MiB, 5))))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_WRITE")).toBe(true);
        expect((err as { details: { sysCode?: string } }).details.sysCode).toBe("ENOSPC");
      } finally {
        sh("umount", [mnt]);
      }
    } finally {
      sh("losetup", ["-d", tinyLoop]);
    }
  });
});
