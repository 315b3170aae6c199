// SlotResolver for the GPT-label scheme: the booted partition's label names the active slot, its pair the other.
import type { Platform } from "../../core/capabilities/platform.js";
import type { SlotDevices, SlotLayout, SlotResolver } from "../../core/capabilities/slot-resolver.js";
import type { BlockLineage } from "../../core/capabilities/block-lineage.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError } from "../../core/errors/index.js";
import { readBootloaderDt } from "../../core/slots/device-tree.js";
import { readGptTable, type GptEntry, type GptTable } from "./gpt-table.js";
import { slotSuffixes } from "./slot-label.js";
import { assertNoOverlap, crossCheckBySlotLinks } from "../../core/slots/layout-checks.js";

/** A labelled partition that may play a role: on the boot disk itself, or a dm partition inside a container. */
interface Candidate {
  label: string;
  device: string;
  /** Partition number in the table that holds it (boot disk, or the container's own table). */
  number: number;
  onDisk: boolean;
}

export interface GptSlotResolverOptions {
  /** Cross-check /dev/disk/by-slot links against the table (default true). */
  checkLinks?: boolean;
}

/**
 * Invariant: no role's partition shares a sector with any other partition of the boot disk. Distinct partition
 * numbers are not enough: a damaged or hand-made table can give system_b a range inside system_a, and writing the
 * "other" slot would then overwrite the running one.
 */
function assertExtentsApart(disk: string, table: GptTable, roles: [string, Candidate | undefined][]): void {
  const name = (e: GptEntry): string => `partition ${e.number} "${e.name}" (LBA ${e.firstLba}-${e.lastLba})`;
  for (const e of table.entries) {
    if (e.lastLba < e.firstLba) {
      throw new OtaError("OTA_ERR_SLOT_GPT_INVALID", `${disk}: ${name(e)} ends before it starts`, {
        details: { disk, partition: e.number, firstLba: e.firstLba, lastLba: e.lastLba },
      });
    }
  }
  for (const [role, c] of roles) {
    const mine = c?.onDisk ? table.entries.find((e) => e.number === c.number) : undefined;
    if (!mine) continue;
    const hit = table.entries.find((e) => e !== mine && e.firstLba <= mine.lastLba && mine.firstLba <= e.lastLba);
    if (hit) {
      throw new OtaError(
        "OTA_ERR_SLOT_OVERLAP",
        `${disk}: the ${role} ${name(mine)} shares sectors with ${name(hit)}`,
        { details: { disk, role, partition: mine.number, overlaps: hit.number } },
      );
    }
  }
}

export class GptSlotResolver implements SlotResolver {
  readonly scheme = "gpt-label";

  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly lineage?: BlockLineage,
    private readonly options: GptSlotResolverOptions = {},
  ) {}

  async resolve(): Promise<SlotLayout> {
    const fs = this.platform.fs;
    const dt = await readBootloaderDt(fs);
    const table = await this.readTable(dt.disk);
    const candidates: Candidate[] = table.entries.map((e) => ({
      label: e.name,
      device: `${dt.disk}p${e.number}`,
      number: e.number,
      onDisk: true,
    }));
    if (this.lineage) candidates.push(...(await this.mappedCandidates(dt.disk)));

    const booted = table.entries.find((e) => e.number === dt.partition);
    if (!booted) {
      throw new OtaError(
        "OTA_ERR_SLOT_PARTITION_NOT_FOUND",
        `the firmware booted partition ${dt.partition}, which is not in the partition table of ${dt.disk}`,
        { details: { disk: dt.disk, partition: dt.partition, numbers: table.entries.map((e) => e.number) } },
      );
    }
    const suffixes = slotSuffixes(booted.name);
    if (!suffixes) {
      throw new OtaError(
        "OTA_ERR_SLOT_LABEL_BAD",
        `bad boot device label "${booted.name}" on booted partition ${dt.partition} of ${dt.disk} ` +
          `(expected boot_a, boot-a, boota, boot<x>_a or the b forms, lower case)`,
        { details: { label: booted.name, partition: dt.partition } },
      );
    }

    const wanted = [
      `boot${suffixes.active}`,
      `system${suffixes.active}`,
      `boot${suffixes.other}`,
      `system${suffixes.other}`,
      "bootconfig",
      "config",
      "persistent",
    ];
    for (const label of wanted) {
      const hits = candidates.filter((c) => c.label === label);
      if (hits.length > 1) {
        throw new OtaError(
          "OTA_ERR_SLOT_LABEL_DUPLICATE",
          `label "${label}" is on ${hits.length} partitions (${hits.map((h) => h.device).join(", ")})`,
          { details: { label, devices: hits.map((h) => h.device) } },
        );
      }
    }
    const find = (label: string, diskOnly = false): Candidate | undefined =>
      candidates.find((c) => c.label === label && (!diskOnly || c.onDisk));
    const need = (label: string, diskOnly = false): Candidate => {
      const hit = find(label, diskOnly);
      if (hit) return hit;
      throw new OtaError(
        "OTA_ERR_SLOT_LABEL_UNPAIRED",
        `booted partition ${dt.partition} is labelled "${booted.name}", but no partition is labelled "${label}"` +
          ` (labels found: ${candidates.map((c) => c.label || "<none>").join(", ")})`,
        { details: { missing: label, labels: candidates.map((c) => c.label) } },
      );
    };

    const activeBoot = find(booted.name, true) as Candidate;
    const activeSystem = need(`system${suffixes.active}`);
    const otherBoot = need(`boot${suffixes.other}`, true);
    const otherSystem = need(`system${suffixes.other}`);
    const bootconfig = find("bootconfig", true) ?? find("config", true);
    const persistent = find("persistent");

    for (const c of [activeBoot, activeSystem, otherBoot, otherSystem, bootconfig, persistent]) {
      if (c && !(await fs.exists(c.device))) {
        throw new OtaError(
          "OTA_ERR_SLOT_PARTITION_NOT_FOUND",
          `partition "${c.label}" has no device node ${c.device}`,
          { details: { label: c.label, device: c.device } },
        );
      }
    }

    const slot = (which: SlotDevices["slot"], boot: Candidate, system: Candidate): SlotDevices => ({
      slot: which,
      boot: boot.device,
      system: system.device,
      bootPartition: boot.number,
    });
    const layout: SlotLayout = {
      scheme: this.scheme,
      bootDisk: dt.disk,
      active: slot(suffixes.slot, activeBoot, activeSystem),
      other: slot(suffixes.slot === "a" ? "b" : "a", otherBoot, otherSystem),
      reason: `booted partition ${dt.partition} (label ${booted.name})`,
    };
    if (bootconfig) layout.bootconfig = bootconfig.device;
    if (persistent) layout.persistent = persistent.device;

    await assertNoOverlap(fs, layout);
    assertExtentsApart(dt.disk, table, [
      ["active boot", activeBoot],
      ["active system", activeSystem],
      ["other boot", otherBoot],
      ["other system", otherSystem],
      ["bootconfig", bootconfig],
      ["persistent", persistent],
    ]);
    if (this.lineage) {
      for (const dev of [layout.other.boot, layout.other.system, layout.active.system]) {
        await this.lineage.assertOnDisk(dev, dt.disk);
      }
    }
    if (this.options.checkLinks !== false) await crossCheckBySlotLinks(fs, layout);
    return layout;
  }

  private async readTable(disk: string): Promise<GptTable> {
    const table = await readGptTable(this.platform.fs, disk);
    if (table.backupFault !== undefined) {
      this.log.warn(
        { event: "slots.gpt.backup-damaged", disk, fault: table.backupFault },
        `backup GPT of ${disk} is damaged (${table.backupFault}); the primary table is fine, but nothing is left to fall back on`,
      );
    }
    if (table.source === "backup") {
      this.log.warn(
        { event: "slots.gpt.primary-damaged", disk, fault: table.primaryFault },
        `primary GPT of ${disk} is damaged (${table.primaryFault ?? "?"}); using the backup table`,
      );
    }
    return table;
  }

  /** dm partitions inside containers on the boot disk, labelled from each container's own partition table. */
  private async mappedCandidates(disk: string): Promise<Candidate[]> {
    const lineage = this.lineage as BlockLineage;
    const out: Candidate[] = [];
    const tables = new Map<string, GptTable | undefined>();
    for (const part of await lineage.mappedPartitions(disk)) {
      if (!tables.has(part.container)) {
        try {
          tables.set(part.container, await this.readTable(part.container));
        } catch (err) {
          this.log.warn(
            { event: "slots.gpt.container-unreadable", container: part.container, err },
            `cannot read the partition table inside ${part.container}`,
          );
          tables.set(part.container, undefined);
        }
      }
      const entry = tables.get(part.container)?.entries.find((e) => e.number === part.number);
      if (entry) out.push({ label: entry.name, device: part.device, number: part.number, onDisk: false });
    }
    return out;
  }
}
