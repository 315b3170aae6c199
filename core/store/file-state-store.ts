// FileStateStore: the StateStore over platform.fs — one durable JSON file per key under the data dir.
import { posix } from "node:path";
import type { Platform } from "../capabilities/platform.js";
import type { RecordParser, StateStore, StoredRecord } from "../capabilities/state-store.js";
import { OtaError } from "../errors/index.js";
import { durableTempPrefix } from "../platform/durable-temp-name.js";

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface FileStateStoreOptions {
  /**
   * Temp files older than this (by mtime, either direction: clocks jump at boot) are leftovers of a crashed write
   * and are removed on read. Younger ones may belong to a writer in another process (daemon + CLI) and are kept.
   * Default 60 s.
   */
  staleTempMs?: number;
}

/**
 * Key `k` in namespace `ns` lives at `<dataDir>/<ns>/<k>.json` (a device path). Writes go through
 * `fs.writeFileDurable` (temp → fsync → rename → fsync(dir)), so a crash at any moment leaves the old or the new
 * record. A record that cannot be parsed is moved aside, never overwritten silently.
 */
export class FileStateStore implements StateStore {
  private readonly dir: string;
  private readonly staleTempMs: number;

  constructor(
    private readonly platform: Platform,
    private readonly dataDir: string,
    private readonly prefix = "",
    options: FileStateStoreOptions = {},
  ) {
    for (const part of prefix.split("/").filter(Boolean)) checkSegment(part, prefix);
    this.dir = prefix ? posix.join(dataDir, prefix) : dataDir;
    this.staleTempMs = options.staleTempMs ?? 60_000;
  }

  /** The device path of a key's file. */
  fileOf(key: string): string {
    return posix.join(this.dir, `${checkKey(key)}.json`);
  }

  async read<T extends StoredRecord>(key: string, parse: RecordParser<T>): Promise<T | undefined> {
    const file = this.fileOf(key);
    await this.cleanTemps(key);
    const text = await this.platform.fs.readText(file);
    if (text === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw await this.moveAside(key, file, `not valid JSON (${(err as Error).message})`, err);
    }
    const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof raw !== "object" || raw === null || typeof version !== "number") {
      throw await this.moveAside(key, file, "no numeric schemaVersion", undefined);
    }
    try {
      return parse(raw);
    } catch (err) {
      if (err instanceof OtaError && err.code === "OTA_ERR_STORE_SCHEMA") throw err;
      throw await this.moveAside(key, file, `rejected by its schema (${(err as Error).message})`, err);
    }
  }

  async write<T extends StoredRecord>(key: string, record: T): Promise<void> {
    const file = this.fileOf(key);
    if (typeof record?.schemaVersion !== "number") {
      throw new OtaError("OTA_ERR_INTERNAL", `store ${file}: record without a numeric schemaVersion`);
    }
    try {
      await this.platform.fs.mkdir(this.dir, { recursive: true });
      await this.platform.fs.writeFileDurable(file, JSON.stringify(record, null, 2) + "\n", 0o600);
    } catch (err) {
      const sysCode = (err as NodeJS.ErrnoException).code;
      throw new OtaError("OTA_ERR_STORE_WRITE", `store ${file}: ${(err as Error).message}`, {
        cause: err,
        details: { key: this.qualified(key), file, sysCode },
      });
    }
  }

  async remove(key: string): Promise<void> {
    const file = this.fileOf(key);
    try {
      await this.platform.fs.unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new OtaError("OTA_ERR_STORE_WRITE", `store ${file}: remove: ${(err as Error).message}`, { cause: err });
    }
    await this.platform.fs.fsyncDir(this.dir);
  }

  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await this.platform.fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return names
      .filter((name) => name.endsWith(".json") && !name.startsWith(".") && !name.includes(".corrupt-"))
      .map((name) => name.slice(0, -".json".length))
      .sort();
  }

  namespace(prefix: string): StateStore {
    const joined = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    return new FileStateStore(this.platform, this.dataDir, joined, { staleTempMs: this.staleTempMs });
  }

  private qualified(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Renames the bad file to `<key>.corrupt-<time>.json` durably and returns the error to throw. */
  private async moveAside(key: string, file: string, why: string, cause: unknown): Promise<OtaError> {
    const stamp = new Date(this.platform.clock.now()).toISOString().replace(/[:.]/g, "-");
    const movedTo = posix.join(this.dir, `${key}.corrupt-${stamp}.json`);
    try {
      await this.platform.fs.rename(file, movedTo);
      await this.platform.fs.fsyncDir(this.dir);
    } catch (err) {
      // A read-only or failing data dir: still report the corruption, and leave the file where it is.
      return new OtaError("OTA_ERR_STORE_CORRUPT", `store ${file}: ${why}; could not move it aside: ${(err as Error).message}`, {
        cause,
        details: { key: this.qualified(key), file, moveError: (err as NodeJS.ErrnoException).code ?? String(err) },
      });
    }
    return new OtaError("OTA_ERR_STORE_CORRUPT", `store ${file}: ${why}; moved to ${movedTo}`, {
      cause,
      details: { key: this.qualified(key), file, movedTo },
    });
  }

  /** Removes temp files a crashed durable write of this key left behind (see staleTempMs). */
  private async cleanTemps(key: string): Promise<void> {
    const prefix = durableTempPrefix(`${key}.json`);
    let names: string[];
    try {
      names = await this.platform.fs.readdir(this.dir);
    } catch {
      return;
    }
    const now = this.platform.clock.now();
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const path = posix.join(this.dir, name);
      const st = await this.platform.fs.lstat(path);
      if (st && Math.abs(now - st.mtimeMs) >= this.staleTempMs) await this.platform.fs.rm(path, { force: true });
    }
  }
}

function checkSegment(part: string, whole: string): void {
  if (!SEGMENT.test(part)) {
    throw new OtaError("OTA_ERR_INTERNAL", `store key "${whole}": "${part}" is not a plain name`);
  }
}

function checkKey(key: string): string {
  for (const part of key.split("/")) checkSegment(part, key);
  return key;
}
