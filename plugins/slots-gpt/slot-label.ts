// The slot-suffix rule of rpi-image-gen's rpi-slot-label: which slot a boot partition label names, and its pair.
import type { SlotName } from "../../core/capabilities/slot-resolver.js";

export interface SlotSuffixes {
  /** The slot the label names. */
  slot: SlotName;
  /** Suffix after "boot" ("_a" for boot_a): the active slot's partitions are boot<active>, system<active>. */
  active: string;
  /** The same suffix with its final letter swapped ("_b"). */
  other: string;
}

/**
 * rpi-slot-label accepts `boot*_a`, `boot-a`, `boota`, `boota*` (and the b forms), takes the suffix after "boot"
 * and swaps a trailing a↔b for the other slot. We additionally require the label to END in the slot letter: for
 * `boota*` labels that do not (e.g. "bootax") the original derives an "other" suffix equal to the active one,
 * which would make the other slot the booted one. Labels are compared as-is: lower case only (as rpi-image-gen).
 * Returns undefined for a label that is not a slot boot label.
 */
export function slotSuffixes(label: string): SlotSuffixes | undefined {
  const letter = label.slice(-1);
  if (letter !== "a" && letter !== "b") return undefined;
  const forms =
    (label.startsWith("boot") && label.endsWith(`_${letter}`) && label.length >= 6) ||
    label === `boot-${letter}` ||
    label.startsWith(`boot${letter}`);
  if (!forms) return undefined;
  const active = label.slice(4);
  const other = active.slice(0, -1) + (letter === "a" ? "b" : "a");
  return { slot: letter, active, other };
}
