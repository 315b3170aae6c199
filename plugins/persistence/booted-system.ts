// Finds which system slot (system_a or system_b) is running, from kernel facts that need no udev links.
import type { Platform } from "../../core/capabilities/platform.js";
import type { SlotResolver, SlotName } from "../../core/capabilities/slot-resolver.js";

export type SystemSlot = "system_a" | "system_b";

export interface BootedSystem {
  slot: SystemSlot;
  /** Which source decided: the first that answered, in the order `detect` documents. */
  source: "root-partition" | "device-tree" | "slot-resolver" | "fallback";
  reason: string;
}

/** Boot-mode values of the firmware's chosen node that the rpi-image-gen slot helpers support. */
const BOOT_DISKS: Record<number, string> = { 1: "mmcblk0", 6: "nvme0n1" };

/**
 * Decides the running system slot for the generator, where `/dev/disk/by-slot/*` may not exist yet. Order:
 * 1. root-partition: the partition mounted on "/" (major:minor from /proc/self/mountinfo) and its GPT name from
 *    sysfs (`PARTNAME=system_a`) — the same fact rpi-image-gen's slot-perst-generator reads with findmnt + blkid;
 * 2. device-tree: the boot partition the firmware booted (`chosen/bootloader/partition` + `boot-mode`) and its GPT
 *    name (`boot_b` → system_b) — still works when the root is a dm partition inside LUKS (boot is never encrypted);
 * 3. the loaded SlotResolver, when one is available (other schemes, e.g. a slot map);
 * 4. the configured fallback (`system_a`, like rpi-image-gen's SLOT_FALLBACK).
 * Read-only; never throws (a generator must always produce something).
 */
export class BootedSystemDetector {
  constructor(
    private readonly platform: Platform,
    private readonly fallback: SystemSlot,
    private readonly slotResolver?: () => SlotResolver | undefined,
  ) {}

  async detect(): Promise<BootedSystem> {
    const notes: string[] = [];
    const fromRoot = await this.fromRootPartition(notes);
    if (fromRoot) return fromRoot;
    const fromTree = await this.fromDeviceTree(notes);
    if (fromTree) return fromTree;
    const fromResolver = await this.fromSlotResolver(notes);
    if (fromResolver) return fromResolver;
    return { slot: this.fallback, source: "fallback", reason: `no source answered (${notes.join("; ")}); using ${this.fallback}` };
  }

  private async fromRootPartition(notes: string[]): Promise<BootedSystem | undefined> {
    const mountinfo = await this.platform.fs.readText("/proc/self/mountinfo");
    if (mountinfo === undefined) {
      notes.push("no /proc/self/mountinfo");
      return undefined;
    }
    // Fields: id parent major:minor root mountpoint ...; the last "/" entry is the one visible (overmounts stack).
    let devno: string | undefined;
    for (const line of mountinfo.split("\n")) {
      const fields = line.split(" ");
      if (fields[4] === "/" && fields[2]) devno = fields[2];
    }
    if (!devno) {
      notes.push("no root mount in mountinfo");
      return undefined;
    }
    const name = await this.partName(`/sys/dev/block/${devno}/uevent`);
    const slot = name === undefined ? undefined : systemSlotFromLabel(name);
    if (!slot) {
      notes.push(`root ${devno} has partition name ${name ?? "(none)"}`);
      return undefined;
    }
    return { slot, source: "root-partition", reason: `root filesystem on ${devno} is partition "${name}"` };
  }

  private async fromDeviceTree(notes: string[]): Promise<BootedSystem | undefined> {
    const mode = await this.readU32("/proc/device-tree/chosen/bootloader/boot-mode");
    const partition = await this.readU32("/proc/device-tree/chosen/bootloader/partition");
    const disk = mode === undefined ? undefined : BOOT_DISKS[mode];
    if (!disk || partition === undefined || partition < 1) {
      notes.push(`device tree boot-mode ${mode ?? "(none)"} partition ${partition ?? "(none)"} unusable`);
      return undefined;
    }
    const node = `${disk}p${partition}`;
    const name = await this.partName(`/sys/class/block/${node}/uevent`);
    const match = name === undefined ? null : /^boot[-_]?([ab])$/.exec(name.toLowerCase());
    if (!match) {
      notes.push(`booted ${node} has partition name ${name ?? "(none)"}`);
      return undefined;
    }
    const slot: SystemSlot = match[1] === "a" ? "system_a" : "system_b";
    return { slot, source: "device-tree", reason: `firmware booted ${node} (partition "${name}")` };
  }

  private async fromSlotResolver(notes: string[]): Promise<BootedSystem | undefined> {
    const resolver = this.slotResolver?.();
    if (!resolver) return undefined;
    try {
      const layout = await resolver.resolve();
      return { slot: systemSlotOf(layout.active.slot), source: "slot-resolver", reason: `${resolver.scheme}: ${layout.reason}` };
    } catch (err) {
      notes.push(`slot resolver ${resolver.scheme}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private async partName(ueventPath: string): Promise<string | undefined> {
    const text = await this.platform.fs.readText(ueventPath).catch(() => undefined);
    const line = text?.split("\n").find((l) => l.startsWith("PARTNAME="));
    return line?.slice("PARTNAME=".length).trim();
  }

  private async readU32(path: string): Promise<number | undefined> {
    const bytes = await this.platform.fs.readFile(path).catch(() => undefined);
    if (!bytes || bytes.length < 4) return undefined;
    return bytes.readUInt32BE(0);
  }
}

/** "system_a" / "SYSTEM_B" → the slot; anything else → undefined. */
export function systemSlotFromLabel(label: string): SystemSlot | undefined {
  const lower = label.toLowerCase();
  return lower === "system_a" || lower === "system_b" ? lower : undefined;
}

export function systemSlotOf(slot: SlotName): SystemSlot {
  return slot === "a" ? "system_a" : "system_b";
}

export function slotNameOf(slot: SystemSlot): SlotName {
  return slot === "system_a" ? "a" : "b";
}
