// The raw-FAT autoboot.txt access on real mkfs.vfat images (FAT12/16/32): found, read, rewritten in place, fsck-clean.
import { execFile } from "node:child_process";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { NodeFileSystem } from "../../../core/platform/index.js";
import { findFatRootFile, overwriteFatRootFile, readFatRootFile } from "../../../plugins/bootloader-tryboot/fat-root-file.js";

const execFileAsync = promisify(execFile);
const mtools = { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } };
const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function image(fat: 12 | 16 | 32, sizeMiB: number): Promise<{ fs: NodeFileSystem; device: string; host: string }> {
  const root = await mkdtemp(join(tmpdir(), "ota-fat-"));
  dirs.push(root);
  const host = join(root, "p1");
  const fh = await open(host, "w");
  await fh.truncate(sizeMiB * MiB);
  await fh.close();
  await execFileAsync("mkfs.vfat", ["-F", String(fat), "-s", "1", "-n", "BOOTCONFIG", host]);
  // Entries before ours: a long name, a deleted file, a directory — the lookup must skip them.
  await writeFile(join(root, "x"), "x");
  await execFileAsync("mcopy", ["-i", host, join(root, "x"), "::a-long-file-name.txt"], mtools);
  await execFileAsync("mcopy", ["-i", host, join(root, "x"), "::gone.txt"], mtools);
  await execFileAsync("mdel", ["-i", host, "::gone.txt"], mtools);
  await execFileAsync("mmd", ["-i", host, "::autoboot.d"], mtools);
  await writeFile(join(root, "autoboot.txt"), "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n");
  await execFileAsync("mcopy", ["-i", host, join(root, "autoboot.txt"), "::autoboot.txt"], mtools);
  return { fs: new NodeFileSystem(root), device: "/p1", host };
}

describe("fat-root-file", () => {
  for (const [fat, size] of [
    [12, 2],
    [16, 16],
    [32, 40],
  ] as const) {
    it(`FAT${fat}: finds, reads and rewrites autoboot.txt in place; mtools and fsck agree`, async () => {
      const { fs, device, host } = await image(fat, size);
      const file = await findFatRootFile(fs, device, "AUTOBOOT.TXT");
      expect(file?.size).toBe(64);
      expect((await readFatRootFile(fs, device, file!)).toString()).toBe(
        "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n",
      );
      const next = "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=3\n";
      await overwriteFatRootFile(fs, device, file!, Buffer.from(next));
      expect((await execFileAsync("mtype", ["-i", host, "::autoboot.txt"], mtools)).stdout).toBe(next);
      await execFileAsync("fsck.vfat", ["-n", host]); // throws on a non-zero exit: the FS is consistent
      expect(await findFatRootFile(fs, device, "missing.txt")).toBeUndefined();
    });
  }

  it("bootconfig-not-fat: a zeroed partition is a clear error", async () => {
    const root = await mkdtemp(join(tmpdir(), "ota-fat-"));
    dirs.push(root);
    await writeFile(join(root, "p1"), Buffer.alloc(64 * 1024));
    await expect(findFatRootFile(new NodeFileSystem(root), "/p1", "autoboot.txt")).rejects.toMatchObject({
      code: "OTA_ERR_BOOT_FAT_UNREADABLE",
    });
  });

  it("refuses a rewrite that would change the file's length (that is not one sector write)", async () => {
    const { fs, device } = await image(12, 2);
    const file = (await findFatRootFile(fs, device, "autoboot.txt"))!;
    await expect(overwriteFatRootFile(fs, device, file, Buffer.from("short"))).rejects.toMatchObject({ code: "OTA_ERR_INTERNAL" });
  });
});
