// The real file system under a sysroot: symlinks stay inside it, durable writes replace whole files.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../../core/platform/node-platform.js";

let root: string;
let platform: NodePlatform;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ota-fs-"));
  platform = new NodePlatform({ sysroot: root });
  await mkdir(join(root, "dev/disk/by-slot"), { recursive: true });
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(join(root, "dev/mmcblk0p2"), "slot-a-boot");
  await writeFile(join(root, "etc/hostname"), "inside-sysroot\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("NodeFileSystem under a sysroot", () => {
  it("maps device paths to host paths and back", () => {
    expect(platform.path("/dev/mmcblk0p2")).toBe(join(root, "dev/mmcblk0p2"));
    expect(platform.path("/dev/../etc/./hostname")).toBe(join(root, "etc/hostname"));
    expect(platform.path("/")).toBe(root);
    expect(platform.devicePath(join(root, "dev/sda"))).toBe("/dev/sda");
    expect(platform.devicePath(root)).toBe("/");
    expect(platform.devicePath("/etc/hostname")).toBeUndefined();
    expect(platform.devicePath(root + "-other/x")).toBeUndefined();
  });

  it("absolute-symlink-resolves-inside-sysroot", async () => {
    // A real device has /dev/disk/by-slot/a -> /dev/mmcblk0p2; the host's /dev/mmcblk0p2 must never be used.
    await symlink("/dev/mmcblk0p2", join(root, "dev/disk/by-slot/a"));
    expect(await platform.fs.realpath("/dev/disk/by-slot/a")).toBe("/dev/mmcblk0p2");
    expect((await platform.fs.readFile("/dev/disk/by-slot/a")).toString()).toBe("slot-a-boot");
    const st = await platform.fs.stat("/dev/disk/by-slot/a");
    expect(st?.isFile).toBe(true);
    expect((await platform.fs.lstat("/dev/disk/by-slot/a"))?.isSymbolicLink).toBe(true);
    expect(await platform.fs.readlink("/dev/disk/by-slot/a")).toBe("/dev/mmcblk0p2");
  });

  it("absolute-symlink-to-host-file-stays-in-sysroot", async () => {
    await symlink("/etc/hostname", join(root, "dev/escape"));
    expect(await platform.fs.readText("/dev/escape")).toBe("inside-sysroot\n");
  });

  it("dotdot-symlink-is-clamped-at-sysroot", async () => {
    await symlink("../../../../../../../../etc/hostname", join(root, "dev/disk/up"));
    expect(await platform.fs.realpath("/dev/disk/up")).toBe("/etc/hostname");
    expect(await platform.fs.readText("/dev/disk/up")).toBe("inside-sysroot\n");
  });

  it("resolves relative links and links in the middle of a path", async () => {
    await symlink("../../mmcblk0p2", join(root, "dev/disk/by-slot/rel"));
    await symlink("/dev/disk", join(root, "disklink"));
    expect(await platform.fs.realpath("/disklink/by-slot/rel")).toBe("/dev/mmcblk0p2");
    expect(await platform.fs.exists("/disklink/by-slot/rel")).toBe(true);
  });

  it("symlink-loop-fails-with-ELOOP", async () => {
    await symlink("/dev/loop-b", join(root, "dev/loop-a"));
    await symlink("/dev/loop-a", join(root, "dev/loop-b"));
    await expect(platform.fs.readFile("/dev/loop-a")).rejects.toMatchObject({ code: "ELOOP" });
  });

  it("realpath of a missing file fails with ENOENT; stat and readText report absence", async () => {
    await expect(platform.fs.realpath("/dev/nothing")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await platform.fs.stat("/dev/nothing")).toBeUndefined();
    expect(await platform.fs.readText("/nothing/deeper")).toBeUndefined();
  });

  it("creates through an absolute link to a directory inside the sysroot", async () => {
    await mkdir(join(root, "persistent/common"), { recursive: true });
    await symlink("/persistent/common", join(root, "data"));
    await platform.fs.mkdir("/data/ota-agent/x", { recursive: true });
    await platform.fs.writeFileDurable("/data/ota-agent/x/rec.json", "{}");
    expect(await readFile(join(root, "persistent/common/ota-agent/x/rec.json"), "utf8")).toBe("{}");
  });

  it("writeFileDurable replaces the whole file and leaves no temp file", async () => {
    await platform.fs.writeFile("/etc/autoboot.txt", "old");
    await platform.fs.writeFileDurable("/etc/autoboot.txt", "new content", 0o600);
    expect(await readFile(join(root, "etc/autoboot.txt"), "utf8")).toBe("new content");
    expect((await readdir(join(root, "etc"))).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect((await platform.fs.stat("/etc/autoboot.txt"))!.mode & 0o777).toBe(0o600);
  });

  it("writeFileDurable-into-missing-dir fails and leaves nothing behind", async () => {
    await expect(platform.fs.writeFileDurable("/nodir/x.json", "{}")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await platform.fs.exists("/nodir")).toBe(false);
  });

  it("rename, unlink and rm act on links themselves, not their targets", async () => {
    await symlink("/dev/mmcblk0p2", join(root, "dev/disk/by-slot/b"));
    await platform.fs.rename("/dev/disk/by-slot/b", "/dev/disk/by-slot/c");
    expect(await platform.fs.readlink("/dev/disk/by-slot/c")).toBe("/dev/mmcblk0p2");
    await platform.fs.unlink("/dev/disk/by-slot/c");
    expect(await platform.fs.exists("/dev/mmcblk0p2")).toBe(true);
    await platform.fs.symlink("/dev/mmcblk0p2", "/dev/disk/by-slot/d");
    await platform.fs.rm("/dev/disk/by-slot/d");
    expect(await platform.fs.readText("/dev/mmcblk0p2")).toBe("slot-a-boot");
  });

  it("open, read, write and size through a handle", async () => {
    const handle = await platform.fs.open("/dev/blob", "w");
    await handle.write(Buffer.from("0123456789"), 0, 10, 0);
    await handle.sync();
    await handle.close();
    const reader = await platform.fs.open("/dev/blob", "r");
    const buffer = Buffer.alloc(4);
    expect(await reader.read(buffer, 0, 4, 3)).toBe(4);
    expect(buffer.toString()).toBe("3456");
    expect(await reader.size()).toBe(10);
    expect((await reader.stat()).isFile).toBe(true);
    await reader.close();
    expect(await platform.fs.readdir("/dev")).toContain("blob");
  });
});

describe("NodeFileSystem on /", () => {
  it("uses host paths unchanged", async () => {
    const host = new NodePlatform();
    expect(host.path("/etc/hostname")).toBe("/etc/hostname");
    expect(host.devicePath("/a/../b")).toBe("/b");
    expect(await host.fs.readText(join(root, "etc/hostname"))).toBe("inside-sysroot\n");
  });
});
