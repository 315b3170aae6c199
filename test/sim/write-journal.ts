// Remembers every storage change not yet made durable, so a simulated power cut can drop exactly those changes.
//
// Model (strict POSIX, what a careful agent must assume):
// - file data written through a handle is durable only after `sync()` of that file;
// - a directory entry (create, rename, unlink, mkdir, symlink) is durable only after `fsyncDir()` of the directory
//   it lives in (for a rename: of both directories);
// - a clean reboot flushes everything (the kernel syncs before restarting).
// Data is undone from pre-images of the written ranges, kept in memory until the next sync: memory is bounded by
// the bytes written between two syncs, which is small for the simulator's files. Removed entries are parked in a
// stash directory (same filesystem, so a rename) until they become durable.
import { closeSync, ftruncateSync, lstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { lstat, mkdir, rename, type FileHandle as NodeFileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";

interface DataUndo {
  /** Where the inode lives now (follows renames). */
  hostPath: string;
  /** Size at the last sync: the file is truncated back to it. */
  durableSize: number;
  /** Pre-images in write order; undone newest first. */
  preimages: { position: number; bytes: Buffer }[];
}

type DirOp =
  | { kind: "create"; hostPath: string; dirs: Set<string> }
  | { kind: "rename"; from: string; to: string; replaced?: string; dirs: Set<string> }
  | { kind: "remove"; hostPath: string; stash: string; dirs: Set<string> };

export class WriteJournal {
  private readonly data = new Map<string, DataUndo>();
  private dirOps: DirOp[] = [];
  private stashCount = 0;

  constructor(private readonly stashDir: string) {}

  /** Number of changes that a power cut with dropUnsynced would undo (for tests and the README's examples). */
  get pendingCount(): number {
    return this.data.size + this.dirOps.length;
  }

  /** Call before writing `length` bytes at `position` of the open file `fh` (at `hostPath`, inode key `ino`). */
  async beforeWrite(fh: NodeFileHandle, hostPath: string, ino: string, position: number, length: number): Promise<void> {
    let undo = this.data.get(ino);
    const { size } = await fh.stat();
    if (!undo) {
      undo = { hostPath, durableSize: size, preimages: [] };
      this.data.set(ino, undo);
    }
    const end = Math.min(size, position + length);
    if (end > position) {
      const bytes = Buffer.alloc(end - position);
      await readFully(fh, bytes, position);
      undo.preimages.push({ position, bytes });
    }
  }

  /** Call before truncating the file to `newSize` (open with "w"). */
  async beforeTruncate(fh: NodeFileHandle, hostPath: string, ino: string): Promise<void> {
    const { size } = await fh.stat();
    await this.beforeWrite(fh, hostPath, ino, 0, size);
  }

  /** The file's data is durable (fsync). */
  synced(ino: string): void {
    this.data.delete(ino);
  }

  created(hostPath: string): void {
    this.dirOps.push({ kind: "create", hostPath, dirs: new Set([dirname(hostPath)]) });
  }

  /** Moves `hostPath` (file, link or tree) aside so a cut can bring it back; the caller treats it as removed. */
  async remove(hostPath: string): Promise<void> {
    const stash = await this.newStash();
    await rename(hostPath, stash);
    this.repoint(hostPath, stash);
    this.dirOps.push({ kind: "remove", hostPath, stash, dirs: new Set([dirname(hostPath)]) });
  }

  /** Performs rename(from, to), keeping a replaced `to` aside until the rename is durable. */
  async rename(from: string, to: string): Promise<void> {
    let replaced: string | undefined;
    if (await lstat(to).catch(() => undefined)) {
      replaced = await this.newStash();
      await rename(to, replaced);
      this.repoint(to, replaced);
    }
    await rename(from, to);
    this.repoint(from, to);
    this.dirOps.push({ kind: "rename", from, to, replaced, dirs: new Set([dirname(from), dirname(to)]) });
  }

  /** The directory's entries are durable (fsync of the directory). */
  dirSynced(hostDir: string): void {
    const keep: DirOp[] = [];
    for (const op of this.dirOps) {
      op.dirs.delete(hostDir);
      if (op.dirs.size > 0) keep.push(op);
      else this.forget(op);
    }
    this.dirOps = keep;
  }

  /** A clean shutdown: everything becomes durable. Synchronous so a checkpoint can cut power on the spot. */
  flushAll(): void {
    this.data.clear();
    for (const op of this.dirOps) this.forget(op);
    this.dirOps = [];
  }

  /** A power cut: undo every change not yet durable, newest first (synchronous). Returns how many were dropped. */
  dropUnsynced(): number {
    let dropped = 0;
    for (const op of [...this.dirOps].reverse()) {
      dropped++;
      if (op.kind === "create") {
        rmSync(op.hostPath, { recursive: true, force: true });
      } else if (op.kind === "rename") {
        if (existsNoFollow(op.to)) renameSync(op.to, op.from);
        this.repoint(op.to, op.from);
        if (op.replaced) {
          renameSync(op.replaced, op.to);
          this.repoint(op.replaced, op.to);
        }
      } else {
        rmSync(op.hostPath, { recursive: true, force: true });
        renameSync(op.stash, op.hostPath);
        this.repoint(op.stash, op.hostPath);
      }
    }
    this.dirOps = [];
    for (const undo of this.data.values()) {
      dropped++;
      let fd: number;
      try {
        fd = openSync(undo.hostPath, "r+");
      } catch {
        continue; // its directory entry was dropped too
      }
      try {
        for (const p of [...undo.preimages].reverse()) writeSync(fd, p.bytes, 0, p.bytes.length, p.position);
        ftruncateSync(fd, undo.durableSize);
      } finally {
        closeSync(fd);
      }
    }
    this.data.clear();
    return dropped;
  }

  /** A removal or replacement became durable: the parked entry is gone for good (and its inode may be reused). */
  private forget(op: DirOp): void {
    const gone = op.kind === "remove" ? op.stash : op.kind === "rename" ? op.replaced : undefined;
    if (gone === undefined) return;
    rmSync(gone, { recursive: true, force: true });
    for (const [ino, undo] of this.data) if (within(undo.hostPath, gone)) this.data.delete(ino);
  }

  /** Pending data of files at or under `from` now lives at or under `to`. */
  private repoint(from: string, to: string): void {
    for (const undo of this.data.values()) {
      if (within(undo.hostPath, from)) undo.hostPath = to + undo.hostPath.slice(from.length);
    }
  }

  private async newStash(): Promise<string> {
    await mkdir(this.stashDir, { recursive: true });
    return join(this.stashDir, `${process.pid}-${++this.stashCount}`);
  }
}

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root + "/");
}

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function readFully(fh: NodeFileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
}
