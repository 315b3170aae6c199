// NodeFileSystem: the Platform's files in device paths, mapped under the sysroot with symlinks kept inside it.
import { constants, promises as fsp } from "node:fs";
import { posix } from "node:path";
import type { FileHandle, FileStat, FileSystem, OpenFlags } from "../capabilities/platform.js";
import { NodeFileHandle } from "./node-file-handle.js";
import { toFileStat } from "./file-stat.js";
import { normalizeDevicePath, pathComponents, toHostPath } from "./device-paths.js";
import { durableTempName } from "./durable-temp-name.js";

/** Like the kernel's MAXSYMLINKS: more links than this in one lookup is a loop. */
const MAX_SYMLINKS = 40;

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${syscall} '${path}'`);
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * With sysroot "/" every path goes straight to the kernel. With another sysroot the kernel would resolve an
 * absolute symlink target ("/dev/disk/by-slot/a" → "/dev/mmcblk0p2") against the HOST root, so lookups walk the
 * path one component at a time, re-rooting absolute targets at the sysroot and clamping ".." at it.
 */
export class NodeFileSystem implements FileSystem {
  constructor(readonly sysroot: string) {}

  /**
   * The host path for `devicePath` with every symlink on the way resolved inside the sysroot; the last component
   * is resolved only when `followLast`. Components after a missing one are kept as they are (for creating files).
   */
  async hostPath(devicePath: string, followLast: boolean): Promise<string> {
    if (this.sysroot === "/") return normalizeDevicePath(devicePath);
    return toHostPath(this.sysroot, await this.resolveDevice(devicePath, followLast));
  }

  private async resolveDevice(devicePath: string, followLast: boolean): Promise<string> {
    let pending = pathComponents(normalizeDevicePath(devicePath));
    let resolved: string[] = [];
    let links = 0;
    let missing = false;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === "..") {
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, name];
      if (missing || (pending.length === 0 && !followLast)) {
        resolved = candidate;
        continue;
      }
      const host = toHostPath(this.sysroot, "/" + candidate.join("/"));
      let isLink: boolean;
      try {
        isLink = (await fsp.lstat(host)).isSymbolicLink();
      } catch (err) {
        if (!isMissing(err)) throw err;
        missing = true;
        resolved = candidate;
        continue;
      }
      if (!isLink) {
        resolved = candidate;
        continue;
      }
      links += 1;
      if (links > MAX_SYMLINKS) throw errnoError("ELOOP", "resolve", devicePath);
      const target = await fsp.readlink(host);
      if (target.startsWith("/")) resolved = [];
      pending = [...pathComponents(target), ...pending];
    }
    return "/" + resolved.join("/");
  }

  async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    return new NodeFileHandle(await fsp.open(await this.hostPath(path, true), flags, mode));
  }

  async readFile(path: string): Promise<Buffer> {
    return fsp.readFile(await this.hostPath(path, true));
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      return await fsp.readFile(await this.hostPath(path, true), "utf8");
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
    await fsp.writeFile(await this.hostPath(path, true), data, mode === undefined ? undefined : { mode });
  }

  /** temp → fsync → rename → fsync(dir); the temp file is removed when any step fails. */
  async writeFileDurable(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
    const target = await this.hostPath(path, true);
    const dir = posix.dirname(target);
    const temp = posix.join(dir, durableTempName(posix.basename(target)));
    let renamed = false;
    try {
      const handle = await fsp.open(temp, "wx", mode ?? 0o644);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temp, target);
      renamed = true;
      await syncDirectory(dir);
    } finally {
      if (!renamed) await fsp.rm(temp, { force: true });
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(await this.hostPath(from, false), await this.hostPath(to, false));
  }

  async unlink(path: string): Promise<void> {
    await fsp.unlink(await this.hostPath(path, false));
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    await fsp.rm(await this.hostPath(path, false), options);
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await fsp.mkdir(await this.hostPath(path, true), options);
  }

  async readdir(path: string): Promise<string[]> {
    return fsp.readdir(await this.hostPath(path, true));
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      return toFileStat(await fsp.stat(await this.hostPath(path, true)), false);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async lstat(path: string): Promise<FileStat | undefined> {
    try {
      return toFileStat(await fsp.lstat(await this.hostPath(path, false)), false);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** The raw link target, as stored (an absolute target is a device path). */
  async readlink(path: string): Promise<string> {
    return fsp.readlink(await this.hostPath(path, false));
  }

  async symlink(target: string, path: string): Promise<void> {
    await fsp.symlink(target, await this.hostPath(path, false));
  }

  async realpath(path: string): Promise<string> {
    if (this.sysroot === "/") return fsp.realpath(normalizeDevicePath(path));
    const device = await this.resolveDevice(path, true);
    // Like realpath(3): the result must exist.
    await fsp.access(toHostPath(this.sysroot, device), constants.F_OK);
    return device;
  }

  async fsyncDir(path: string): Promise<void> {
    await syncDirectory(await this.hostPath(path, true));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }
}

async function syncDirectory(hostDir: string): Promise<void> {
  const handle = await fsp.open(hostDir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
