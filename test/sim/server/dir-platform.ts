// A small Platform over a host directory (sysroot) with a virtual clock, for server-client and inventory tests.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import { mkdtempSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Clock, FileHandle, FileStat, FileSystem, Platform, RunOptions, RunResult } from "../../../core/capabilities/platform.js";
import { OtaError } from "../../../core/errors/index.js";

/** Sleeps resolve at once and are recorded, so backoff sequences are checked without waiting. */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  #now = Date.parse("2026-11-21T12:00:00Z");

  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.sleeps.push(ms);
    this.#now += ms;
    return Promise.resolve();
  }
}

function toStat(s: Stats): FileStat {
  return {
    size: s.size,
    mode: s.mode,
    dev: s.dev,
    ino: s.ino,
    rdev: s.rdev,
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isBlockDevice: s.isBlockDevice(),
    isSymbolicLink: s.isSymbolicLink(),
    mtimeMs: s.mtimeMs,
  };
}

export class DirPlatform implements Platform {
  readonly sysroot: string;
  readonly clock = new VirtualClock();
  readonly fs: FileSystem;
  readonly checkpoints: string[] = [];
  /** Device paths written durably, in order (for "written durably" assertions). */
  readonly durableWrites: string[] = [];

  constructor(sysroot: string = mkdtempSync(join(tmpdir(), "ota-sysroot-"))) {
    this.sysroot = sysroot;
    const p = (d: string): string => this.path(d);
    const self = this;
    this.fs = {
      async open(path, flags, mode): Promise<FileHandle> {
        const h = await fs.open(p(path), flags, mode);
        return {
          read: async (b, o, l, pos) => (await h.read(b, o, l, pos)).bytesRead,
          write: async (b, o, l, pos) => (await h.write(b, o, l, pos)).bytesWritten,
          sync: () => h.sync(),
          stat: async () => toStat(await h.stat()),
          size: async () => (await h.stat()).size,
          close: () => h.close(),
        };
      },
      readFile: (path) => fs.readFile(p(path)),
      async readText(path) {
        try {
          return await fs.readFile(p(path), "utf8");
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
          throw err;
        }
      },
      writeFile: (path, data, mode) => fs.writeFile(p(path), data, mode === undefined ? undefined : { mode }),
      async writeFileDurable(path, data, mode) {
        const tmp = `${p(path)}.tmp-${process.pid}`;
        const h = await fs.open(tmp, "w", mode ?? 0o644);
        try {
          await h.writeFile(data);
          if (mode !== undefined) await h.chmod(mode);
          await h.sync();
        } finally {
          await h.close();
        }
        await fs.rename(tmp, p(path));
        self.durableWrites.push(path);
      },
      rename: (a, b) => fs.rename(p(a), p(b)),
      unlink: (path) => fs.unlink(p(path)),
      rm: (path, o) => fs.rm(p(path), o),
      mkdir: async (path, o) => {
        await fs.mkdir(p(path), o);
      },
      readdir: (path) => fs.readdir(p(path)),
      async stat(path) {
        try {
          return toStat(await fs.stat(p(path)));
        } catch {
          return undefined;
        }
      },
      async lstat(path) {
        try {
          return toStat(await fs.lstat(p(path)));
        } catch {
          return undefined;
        }
      },
      readlink: (path) => fs.readlink(p(path)),
      symlink: (target, path) => fs.symlink(target, p(path)),
      realpath: async (path) => self.devicePath(await fs.realpath(p(path))) ?? path,
      fsyncDir: async () => undefined,
      exists: async (path) => (await fs.stat(p(path)).catch(() => undefined)) !== undefined,
    };
  }

  path(devicePath: string): string {
    return join(this.sysroot, devicePath);
  }

  devicePath(hostPath: string): string | undefined {
    if (!hostPath.startsWith(this.sysroot)) return undefined;
    return hostPath.slice(this.sysroot.length) || "/";
  }

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = execFile(
        command,
        [...args],
        { timeout: options.timeoutMs ?? 60_000, env: { ...process.env, ...options.env }, cwd: options.cwd, maxBuffer: options.maxOutputBytes ?? 1024 * 1024 },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals }) | null;
          if (e && typeof e.code === "string") {
            reject(new OtaError("OTA_ERR_PROCESS_SPAWN", `${command}: ${e.message}`, { cause: e }));
            return;
          }
          resolve({
            code: e ? (typeof e.code === "number" ? e.code : null) : 0,
            signal: e?.signal ?? null,
            stdout: String(stdout),
            stderr: String(stderr),
            timedOut: e?.killed === true,
            durationMs: Date.now() - started,
          });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  async runChecked(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    const r = await this.run(command, args, options);
    if (r.code !== 0) throw new OtaError("OTA_ERR_PROCESS_FAILED", `${command} exited ${String(r.code)}`, { details: { stderr: r.stderr } });
    return r;
  }

  reboot(): Promise<void> {
    return Promise.reject(new OtaError("OTA_ERR_REBOOT_REFUSED", "dir platform never reboots"));
  }

  checkpoint(name: string): void {
    this.checkpoints.push(name);
  }

  /** Test helper: writes a file (creating parents) at a device path. */
  async put(devicePath: string, content: string, mode?: number): Promise<void> {
    await fs.mkdir(dirname(this.path(devicePath)), { recursive: true });
    await fs.writeFile(this.path(devicePath), content, mode === undefined ? undefined : { mode });
    if (mode !== undefined) await fs.chmod(this.path(devicePath), mode);
  }

  async dispose(): Promise<void> {
    await fs.rm(this.sysroot, { recursive: true, force: true });
  }
}
