// The simulated device's FileSystem: device paths under a sysroot, symlinks resolved inside it, unsynced writes journaled.
//
// Invariants: no operation ever touches a host path outside the sysroot (absolute symlink targets such as
// "/dev/mmcblk0p3" resolve inside it); every call that changes or flushes storage first passes the device's gate,
// which counts it ("write #N") and may cut power there; after the boot that made this fs has ended, every call throws.
import type { Stats } from "node:fs";
import * as nodeFs from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FileHandle, FileStat, FileSystem, OpenFlags } from "../../core/capabilities/platform.js";
import { NodeFileSystem, toDevicePath, toHostPath } from "../../core/platform/index.js";
import { durableTempName } from "../../core/platform/durable-temp-name.js";
import { toFileStat } from "../../core/platform/file-stat.js";
import type { WriteJournal } from "./write-journal.js";

/** What the device lends its file systems: a liveness check and the cut-able gate before each durable step. */
export interface SimStorageGate {
  /** Throws SimHalt / SimPowerCut when the boot that owns this fs is over. */
  assertAlive(): void;
  /** Counts one durable step; cuts power (reverting unsynced writes, then throwing SimPowerCut) when armed. */
  beforeWrite(what: string): Promise<void>;
  readonly journal: WriteJournal;
  /**
   * Handles opened and not yet closed, with the device path each was opened by. A cut or halt does not close them:
   * code that leaves one open on an error path would leave a real FileHandle to the garbage collector (DEP0137).
   */
  readonly openFiles?: Map<object, string>;
}


export class SimFs implements FileSystem {
  /** Path resolution is the real platform's, so the simulator resolves exactly like production code does. */
  private readonly node: NodeFileSystem;

  constructor(
    readonly sysroot: string,
    private readonly gate: SimStorageGate,
  ) {
    this.node = new NodeFileSystem(sysroot);
  }

  /** Host path of a device path, without resolving symlinks. */
  hostPath(devicePath: string): string {
    return toHostPath(this.sysroot, devicePath);
  }

  /** Device path of a host path inside the sysroot. */
  devicePath(hostPath: string): string | undefined {
    return toDevicePath(this.sysroot, hostPath);
  }

  /**
   * Resolves `devicePath` to a host path, following symlinks inside the sysroot (absolute targets restart at the
   * sysroot). With `followLast` false the final component is left as is (lstat, unlink, rename, symlink).
   */
  resolve(devicePath: string, followLast = true): Promise<string> {
    return this.node.hostPath(devicePath, followLast);
  }

  async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    this.gate.assertAlive();
    const host = await this.resolve(path);
    if (flags === "r" || flags === "r+") {
      return new SimFileHandle(await nodeFs.open(host, flags), host, path, flags, this.gate);
    }
    const exists = (await nodeFs.lstat(host).catch(() => undefined)) !== undefined;
    if (flags === "wx" && exists) throw fsError("EEXIST", `file exists: ${path}`);
    if (!exists) {
      await this.gate.beforeWrite(`create ${path}`);
      const fh = await nodeFs.open(host, flags === "a" ? "a" : "wx", mode);
      this.gate.journal.created(host);
      return new SimFileHandle(fh, host, path, flags, this.gate);
    }
    if (flags === "a") return new SimFileHandle(await nodeFs.open(host, "a"), host, path, flags, this.gate);
    // "w" on an existing file: truncation is a write too.
    const fh = await nodeFs.open(host, "r+");
    try {
      await this.gate.beforeWrite(`truncate ${path}`);
      const st = await fh.stat();
      await this.gate.journal.beforeTruncate(fh, host, inodeKey(st));
      await fh.truncate(0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new SimFileHandle(fh, host, path, flags, this.gate);
  }

  async readFile(path: string): Promise<Buffer> {
    this.gate.assertAlive();
    return nodeFs.readFile(await this.resolve(path));
  }

  async readText(path: string): Promise<string | undefined> {
    this.gate.assertAlive();
    try {
      return await nodeFs.readFile(await this.resolve(path), "utf8");
    } catch (err) {
      if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return undefined;
      throw err;
    }
  }

  async writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
    const fh = await this.open(path, "w", mode);
    try {
      const buf = typeof data === "string" ? Buffer.from(data) : data;
      if (buf.length > 0) await fh.write(buf, 0, buf.length, 0);
    } finally {
      await fh.close();
    }
  }

  async writeFileDurable(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
    // Same steps and temp naming as the real platform (the store's crash cleanup matches the name), each cut-able.
    const tmp = join(dirname(path), durableTempName(basename(path)));
    const fh = await this.open(tmp, "wx", mode ?? 0o644);
    let renamed = false;
    try {
      try {
        const buf = typeof data === "string" ? Buffer.from(data) : data;
        if (buf.length > 0) await fh.write(buf, 0, buf.length, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.rename(tmp, path);
      renamed = true;
    } finally {
      // After a cut nothing runs on the device: leave the temp file to the cut's model.
      if (!renamed && this.isAlive()) await this.rm(tmp, { force: true });
    }
    await this.fsyncDir(dirname(path));
  }

  async rename(from: string, to: string): Promise<void> {
    this.gate.assertAlive();
    const hostFrom = await this.resolve(from, false);
    const hostTo = await this.resolve(to, false);
    await nodeFs.lstat(hostFrom); // ENOENT before the gate, like the real call
    await this.gate.beforeWrite(`rename ${from} -> ${to}`);
    await this.gate.journal.rename(hostFrom, hostTo);
  }

  async unlink(path: string): Promise<void> {
    this.gate.assertAlive();
    const host = await this.resolve(path, false);
    const st = await nodeFs.lstat(host);
    if (st.isDirectory()) throw fsError("EISDIR", `is a directory: ${path}`);
    await this.gate.beforeWrite(`unlink ${path}`);
    await this.gate.journal.remove(host);
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    this.gate.assertAlive();
    const host = await this.resolve(path, false);
    const st = await nodeFs.lstat(host).catch(() => undefined);
    if (!st) {
      if (options.force) return;
      throw fsError("ENOENT", `no such file or directory: ${path}`);
    }
    if (st.isDirectory() && !options.recursive) throw fsError("EISDIR", `is a directory: ${path}`);
    await this.gate.beforeWrite(`rm ${path}`);
    await this.gate.journal.remove(host);
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    this.gate.assertAlive();
    const host = await this.resolve(path);
    const missing: string[] = [];
    for (let p = host; p.startsWith(this.sysroot) && p !== this.sysroot; p = dirname(p)) {
      if (await nodeFs.lstat(p).catch(() => undefined)) break;
      missing.unshift(p);
    }
    if (missing.length === 0) {
      if (options.recursive) return;
      throw fsError("EEXIST", `file exists: ${path}`);
    }
    if (missing.length > 1 && !options.recursive) throw fsError("ENOENT", `parent missing: ${path}`);
    await this.gate.beforeWrite(`mkdir ${path}`);
    for (const dir of missing) {
      await nodeFs.mkdir(dir, { mode: options.mode });
      this.gate.journal.created(dir);
    }
  }

  async readdir(path: string): Promise<string[]> {
    this.gate.assertAlive();
    return (await nodeFs.readdir(await this.resolve(path))).sort();
  }

  async stat(path: string): Promise<FileStat | undefined> {
    this.gate.assertAlive();
    const st = await nodeFs.stat(await this.resolve(path)).catch(missingAsUndefined);
    return st && toFileStat(st, false);
  }

  async lstat(path: string): Promise<FileStat | undefined> {
    this.gate.assertAlive();
    const st = await nodeFs.lstat(await this.resolve(path, false)).catch(missingAsUndefined);
    return st && toFileStat(st, false);
  }

  async readlink(path: string): Promise<string> {
    this.gate.assertAlive();
    return nodeFs.readlink(await this.resolve(path, false));
  }

  async symlink(target: string, path: string): Promise<void> {
    this.gate.assertAlive();
    const host = await this.resolve(path, false);
    await this.gate.beforeWrite(`symlink ${path} -> ${target}`);
    await nodeFs.symlink(target, host);
    this.gate.journal.created(host);
  }

  async realpath(path: string): Promise<string> {
    this.gate.assertAlive();
    return this.node.realpath(path);
  }

  async fsyncDir(path: string): Promise<void> {
    this.gate.assertAlive();
    const host = await this.resolve(path);
    await this.gate.beforeWrite(`fsync-dir ${path}`);
    const fh = await nodeFs.open(host, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.gate.journal.dirSynced(host);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  private isAlive(): boolean {
    try {
      this.gate.assertAlive();
      return true;
    } catch {
      return false;
    }
  }
}

class SimFileHandle implements FileHandle {
  private closed = false;
  constructor(
    private readonly fh: nodeFs.FileHandle,
    private readonly host: string,
    /** The device path it was opened by, for the write log. */
    private readonly label: string,
    private readonly flags: OpenFlags,
    private readonly gate: SimStorageGate,
  ) {
    gate.openFiles?.set(this, label);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.gate.assertAlive();
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.gate.assertAlive();
    if (this.flags === "r") throw fsError("EBADF", `opened read-only: ${this.label}`);
    await this.gate.beforeWrite(`write ${this.label}`);
    const st = await this.fh.stat();
    const at = this.flags === "a" ? st.size : position;
    await this.gate.journal.beforeWrite(this.fh, this.host, inodeKey(st), at, length);
    return (await this.fh.write(buffer, offset, length, this.flags === "a" ? null : position)).bytesWritten;
  }

  async sync(): Promise<void> {
    this.gate.assertAlive();
    await this.gate.beforeWrite(`sync ${this.label}`);
    await this.fh.sync();
    this.gate.journal.synced(inodeKey(await this.fh.stat()));
  }

  async stat(): Promise<FileStat> {
    this.gate.assertAlive();
    return toFileStat(await this.fh.stat(), false);
  }

  async size(): Promise<number> {
    return (await this.stat()).size;
  }

  async close(): Promise<void> {
    // Closing never fails the caller, even after a cut: the descriptor is gone either way.
    if (this.closed) return;
    this.closed = true;
    this.gate.openFiles?.delete(this);
    await this.fh.close();
  }
}

function inodeKey(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

function missingAsUndefined(err: unknown): undefined {
  if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return undefined;
  throw err;
}

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}
