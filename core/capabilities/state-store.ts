// StateStore: durable, atomic JSON records in the data dir, each with a schema version.

/** Every stored record carries the version of its own schema. */
export interface StoredRecord {
  schemaVersion: number;
}

/** Turns parsed JSON into a typed record, throwing on a mismatch (a zod schema's `parse` fits). */
export type RecordParser<T> = (raw: unknown) => T;

/**
 * Records are written temp → fsync → rename → fsync(dir), so a power cut leaves the old or the new record, never
 * a torn one. Keys are simple names ("deployment", "provides"); namespaces nest them ("plugin/slots-gpt/cache").
 */
export interface StateStore {
  /**
   * Reads a record. Missing → undefined. Unparseable JSON or a parser rejection → the file is moved aside to
   * `<key>.corrupt-<time>.json` and OTA_ERR_STORE_CORRUPT is thrown with `details.movedTo`; it is never silently
   * replaced. Idempotent.
   */
  read<T extends StoredRecord>(key: string, parse: RecordParser<T>): Promise<T | undefined>;
  /** Writes a record atomically and durably. Throws OTA_ERR_STORE_WRITE (cause kept: ENOSPC, EROFS...). */
  write<T extends StoredRecord>(key: string, record: T): Promise<void>;
  /** Removes a record durably; removing a missing key is not an error. Idempotent. */
  remove(key: string): Promise<void>;
  /** Keys present in this namespace (not nested ones). */
  keys(): Promise<string[]>;
  /** A view of the store whose keys live under `prefix/`. */
  namespace(prefix: string): StateStore;
}
