// Bootloader: reads and changes the boot choice — booted, committed, trial — for A/B slots.
import type { SlotName } from "./slot-resolver.js";

export interface BootState {
  /** The slot running now (for tryboot: the device-tree `partition`). */
  booted: SlotName;
  /** The slot the firmware boots by default (for tryboot: `[all] boot_partition`). */
  committed: SlotName;
  /** True when this boot is a one-shot trial boot (for tryboot: device-tree `tryboot` == 1). */
  trial: boolean;
  /** The slot a trial reboot would start, or null when a trial reboot would boot the committed slot. */
  armed: SlotName | null;
  /** Backend-specific facts for `status` (capability bits, file contents...). */
  details?: Record<string, unknown>;
}

/**
 * One implementation per boot technology (plugins/bootloader-tryboot first). All writes are atomic: a power cut
 * leaves the old or the new boot choice. Errors use OTA_ERR_BOOT_* codes.
 */
export interface Bootloader {
  /** The backend's name for logs and `status` ("tryboot"). */
  readonly name: string;
  /**
   * Reads the current boot state. Read-only, idempotent. Throws OTA_ERR_BOOT_DT_MISSING / AUTOBOOT_MISSING /
   * AUTOBOOT_INVALID / FAT_UNREADABLE when the facts cannot be read or make no sense.
   */
  state(): Promise<BootState>;
  /**
   * Prepares a one-shot trial boot of `target`, leaving the committed slot as the default. Call only after the
   * target is fully written and verified ("arm last"). Idempotent. Throws OTA_ERR_BOOT_TARGET_INVALID (the target
   * is not the other slot) and OTA_ERR_BOOT_AUTOBOOT_WRITE (the boot files could not be replaced atomically).
   */
  armTrial(target: SlotName): Promise<void>;
  /** Makes a trial reboot harmless: it would boot the committed slot. Idempotent; safe on any failure path. */
  disarm(): Promise<void>;
  /** Makes `slot` the committed default (after a healthy trial, slot = the booted one). Idempotent. */
  commit(slot: SlotName): Promise<void>;
  /**
   * Reboots: with trial = true into the armed trial ("0 tryboot"), else normally (to the committed slot). Does not
   * return on a device (the process is stopped); throws OTA_ERR_REBOOT_REFUSED / OTA_ERR_REBOOT_FAILED when the
   * reboot cannot be requested. Not idempotent.
   */
  reboot(options: { trial: boolean }): Promise<void>;
  /**
   * Optional boot-time repair (core/state-machine/boot-check.ts calls it only with no deployment in progress): when
   * the boot choice cannot be read or names no slot (state() throws AUTOBOOT_MISSING / AUTOBOOT_INVALID), rewrites
   * it as the disarmed default of the running slot (known good: it is running, and not as a trial). Returns that
   * slot, or undefined when the boot choice was readable and nothing was written. Atomic like every write here.
   * Throws OTA_ERR_BOOT_REPAIR_REFUSED on a trial boot (the running slot is not proven good).
   */
  repair?(): Promise<SlotName | undefined>;
}
