// Platform: the only door to the operating system — sysroot-rooted paths, processes, reboot and the clock.

/** Options for one external command. */
export interface RunOptions {
  /** Kill the process (SIGKILL after SIGTERM) when it runs longer. Default: 60 000 ms. */
  timeoutMs?: number;
  /** Bytes or text written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Extra environment variables (merged over the agent's own). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
  /** Keep at most this many bytes of stdout/stderr (the tail is kept). Default 1 MiB. */
  maxOutputBytes?: number;
}

/** What a finished command left behind. A non-zero exit is a value here, not an error. */
export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What `stat` tells about a file or device; identity is (dev, ino) for files and rdev for block devices. */
export interface FileStat {
  size: number;
  mode: number;
  dev: number;
  ino: number;
  /** major:minor of a device node (0 for regular files). */
  rdev: number;
  isFile: boolean;
  isDirectory: boolean;
  isBlockDevice: boolean;
  isSymbolicLink: boolean;
  mtimeMs: number;
}

/** An open file or block device. Positions are absolute byte offsets. */
export interface FileHandle {
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; returns the count (0 at the end). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Writes `length` bytes from `buffer[offset..]` at `position`; returns the count (may be short: loop). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Flushes data and metadata to stable storage (fsync). Unsynced writes may be lost on a power cut. */
  sync(): Promise<void>;
  stat(): Promise<FileStat>;
  /** Size in bytes: st_size for files, the device size for block devices. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenFlags = "r" | "r+" | "w" | "wx" | "a";

/**
 * File access in device paths (the Platform maps them under its sysroot; symlinks with absolute targets resolve
 * inside the sysroot). Methods reject with Node's errno errors (`code` ENOENT, EACCES, ENOSPC, EROFS, ELOOP...),
 * not OtaErrors: callers wrap them with their own code and context. Writes are only durable after `FileHandle.sync()` / `fsyncDir()`: the simulator's fault
 * layer drops unsynced writes on a power cut, exactly like a real device may.
 */
export interface FileSystem {
  open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  /** Reads a file as UTF-8; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Writes a whole file without syncing (use writeFileDurable for records and boot files). */
  writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /** temp → fsync → rename → fsync(dir): a power cut leaves the old or the new content, never a mix. */
  writeFileDurable(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** stat following symlinks (inside the sysroot); undefined when missing. */
  stat(path: string): Promise<FileStat | undefined>;
  lstat(path: string): Promise<FileStat | undefined>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  /** Resolves every symlink inside the sysroot and returns the device path it ends at. */
  realpath(path: string): Promise<string>;
  /** fsync of a directory, making renames and new entries in it durable. */
  fsyncDir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

/**
 * Every OS touch point. Implementations: core/platform (real, with a configurable sysroot) and test/sim.
 * All paths given to and returned by other capabilities are device paths ("/dev/mmcblk0p2"); `path()` maps
 * one to where it lives on this host (the sysroot prefix).
 */
export interface Platform {
  /** Absolute host directory every device path is rooted at ("/" on a real device). */
  readonly sysroot: string;
  /** Maps a device path ("/proc/device-tree/...") to a host path under the sysroot. Pure, idempotent. */
  path(devicePath: string): string;
  /** Maps a host path back to the device path it stands for (inverse of `path`); undefined when outside. */
  devicePath(hostPath: string): string | undefined;
  /**
   * Runs a command and collects its output. Resolves for any exit code.
   * Throws OTA_ERR_PROCESS_SPAWN when it cannot start; OTA_ERR_PROCESS_TIMEOUT is *not* thrown (see timedOut).
   */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Like run, but throws OTA_ERR_PROCESS_FAILED / OTA_ERR_PROCESS_TIMEOUT unless the command exits 0. */
  runChecked(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Reboots the device, passing `arg` to the reboot syscall ("0 tryboot"). On a real root ("/") runs
   * `systemctl reboot <arg>` (or the configured rebootCommand); with another sysroot only the configured
   * rebootCommand runs, and without one it throws OTA_ERR_REBOOT_REFUSED. Never reboots a host from a sysroot.
   */
  reboot(arg?: string): Promise<void>;
  readonly clock: Clock;
  /** Files and devices, in device paths. */
  readonly fs: FileSystem;
  /**
   * A named point where a power cut may strike ("state:ArtifactCommit:saved", "script:ArtifactInstall_Enter").
   * A no-op on a real device; the simulator may throw there to cut power. Call it between durable steps.
   */
  checkpoint(name: string): void;
}
