// SlotResolver: which partitions belong to the booted ("active") slot and which to the "other" one.

export type SlotName = "a" | "b";

/** The other slot's name. */
export function otherSlot(slot: SlotName): SlotName {
  return slot === "a" ? "b" : "a";
}

/** The two partitions of one slot, as device paths ("/dev/mmcblk0p3", "/dev/mapper/osdata_cryptp2"). */
export interface SlotDevices {
  slot: SlotName;
  boot: string;
  system: string;
  /** Partition number of the boot partition on the boot disk: what autoboot.txt's boot_partition names. */
  bootPartition: number;
}

export interface SlotLayout {
  /** Which scheme found the layout: "gpt-label" or "slot-map" (or a third party's). */
  scheme: string;
  /** The boot disk, e.g. "/dev/mmcblk0". */
  bootDisk: string;
  /** The slot the firmware booted (including a trial boot). */
  active: SlotDevices;
  /** The slot an update writes to. Never shares a device with `active`. */
  other: SlotDevices;
  /** Partition 1, holding autoboot.txt, when found. */
  bootconfig?: string;
  /** The shared persistent partition, when found. */
  persistent?: string;
  /** Human-readable why, e.g. "booted partition 3 (label boot_b)". */
  reason: string;
}

/**
 * Finds the slot layout of the running device.
 * Throws OTA_ERR_SLOT_* codes (see core/errors/README.md) when the device does not look like an A/B device, or
 * when sources disagree: a disagreement is an error, never a guess. Idempotent and read-only.
 */
export interface SlotResolver {
  readonly scheme: string;
  resolve(): Promise<SlotLayout>;
}
