// Keeps one machine ID across both slots: persists systemd's first generated ID, applies the persisted one later.
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError, asOtaError } from "../../core/errors/index.js";
import type { MachineIdConfig } from "./config.js";

const VALID_ID = /^[0-9a-f]{32}$/;

/** A machine ID as systemd accepts it: 32 lower-case hex digits, not all zero (then "\n"). */
export function parseMachineId(text: string | undefined): string | undefined {
  const id = text?.trim();
  return id !== undefined && VALID_ID.test(id) && !/^0+$/.test(id) ? id : undefined;
}

export type SyncOutcome =
  /** First boot of the device: the runtime ID became the persistent one. */
  | "persisted"
  /** The persisted ID was copied over the runtime one (/etc/machine-id now shows it). */
  | "applied"
  /** Runtime and persisted IDs already agree. */
  | "in-sync"
  /** The root's own /etc/machine-id is a real, different ID and there is no runtime file to overwrite. */
  | "mismatch";

/**
 * With an empty /etc/machine-id on a read-only root, systemd invents an ID each boot, writes it to /run/machine-id
 * and bind-mounts that file over /etc/machine-id. This runs after persistent.mount and before journald:
 * - persisted ID missing, empty or invalid → the runtime ID is written there (durably); an invalid file is kept
 *   aside as `<path>.invalid` first;
 * - persisted ID valid → it is written INTO the runtime file. In place, never by rename: /etc/machine-id is a bind
 *   mount of that inode, and a renamed-over file would leave /etc/machine-id showing the old ID.
 * Idempotent: a second run finds "in-sync".
 */
export class MachineIdSync {
  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly config: MachineIdConfig,
  ) {}

  async sync(): Promise<SyncOutcome> {
    const fs = this.platform.fs;
    const persistedText = await fs.readText(this.config.persistentPath);
    const persisted = parseMachineId(persistedText);
    const runtimeText = await fs.readText(this.config.runtimePath);
    const runtime = parseMachineId(runtimeText);
    const current = runtime ?? parseMachineId(await fs.readText(this.config.etcPath));

    if (persisted === undefined) {
      if (current === undefined) {
        throw new OtaError(
          "OTA_ERR_MACHINE_ID_INVALID",
          `machine-id: neither ${this.config.runtimePath} nor ${this.config.etcPath} holds a valid ID to persist`,
          { details: { runtimePath: this.config.runtimePath, etcPath: this.config.etcPath } },
        );
      }
      try {
        const dir = this.config.persistentPath.slice(0, this.config.persistentPath.lastIndexOf("/")) || "/";
        await fs.mkdir(dir, { recursive: true, mode: 0o755 });
        if (persistedText !== undefined && persistedText.trim() !== "") {
          await fs.rename(this.config.persistentPath, `${this.config.persistentPath}.invalid`);
          this.log.warn({ event: "machine-id.invalid-persisted" }, `kept an invalid ${this.config.persistentPath} aside as .invalid`);
        }
        await fs.writeFileDurable(this.config.persistentPath, `${current}\n`, 0o444);
      } catch (err) {
        throw asOtaError(err, "OTA_ERR_MACHINE_ID_WRITE", `machine-id: persist ${this.config.persistentPath}`);
      }
      this.log.info({ event: "machine-id.persisted" }, "first boot: the generated machine ID is now the device's ID");
      return "persisted";
    }

    if (persisted === current) return "in-sync";
    if (runtimeText === undefined) {
      this.log.warn(
        { event: "machine-id.mismatch" },
        `${this.config.etcPath} holds a different ID and there is no ${this.config.runtimePath} to overwrite`,
      );
      return "mismatch";
    }
    try {
      // "w" truncates the same inode; the bind mount on /etc/machine-id keeps pointing at it
      const handle = await fs.open(this.config.runtimePath, "w", 0o444);
      try {
        const bytes = Buffer.from(`${persisted}\n`, "utf8");
        await handle.write(bytes, 0, bytes.length, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_MACHINE_ID_WRITE", `machine-id: write ${this.config.runtimePath}`);
    }
    this.log.info({ event: "machine-id.applied" }, "applied the persisted machine ID");
    return "applied";
  }
}
