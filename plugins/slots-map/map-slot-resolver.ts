// SlotResolver for the /boot/slot.map scheme (rpi-slot-static): triplets name each slot's partitions.
import type { Platform } from "../../core/capabilities/platform.js";
import type { SlotDevices, SlotLayout, SlotResolver } from "../../core/capabilities/slot-resolver.js";
import type { BlockLineage } from "../../core/capabilities/block-lineage.js";
import { OtaError } from "../../core/errors/index.js";
import { readBootloaderDt } from "../../core/slots/device-tree.js";
import { parseSlotMap, type SlotMapTriplet } from "./slot-map-file.js";
import { BY_SLOT, assertNoOverlap, crossCheckBySlotLinks } from "../../core/slots/layout-checks.js";

export interface MapSlotResolverOptions {
  /** Device path of the map. Default /boot/slot.map (the rootfs /boot, not /boot/firmware). */
  path?: string;
  checkLinks?: boolean;
}

export class MapSlotResolver implements SlotResolver {
  readonly scheme = "slot-map";

  constructor(
    private readonly platform: Platform,
    private readonly lineage?: BlockLineage,
    private readonly options: MapSlotResolverOptions = {},
  ) {}

  async resolve(): Promise<SlotLayout> {
    const fs = this.platform.fs;
    const path = this.options.path ?? "/boot/slot.map";
    const dt = await readBootloaderDt(fs);
    let text: string | undefined;
    try {
      text = await fs.readText(path);
    } catch (err) {
      throw new OtaError("OTA_ERR_SLOT_MAP_MISSING", `cannot read ${path}: ${(err as Error).message}`, {
        cause: err,
        details: { path },
      });
    }
    if (text === undefined) throw new OtaError("OTA_ERR_SLOT_MAP_MISSING", `${path} does not exist`, { details: { path } });
    const map = parseSlotMap(text, path);

    const device = async (key: string, t: SlotMapTriplet): Promise<string> => {
      if (t.kind === "") return `${dt.disk}p${t.part}`;
      // rpi-slot-static resolves <name><part>; kpartx -p p (what the initramfs runs) makes <name>p<part>.
      const plain = `/dev/mapper/${t.name}${t.part}`;
      const kpartx = `/dev/mapper/${t.name}p${t.part}`;
      const [hasPlain, hasKpartx] = [await fs.exists(plain), await fs.exists(kpartx)];
      if (hasPlain !== hasKpartx) return hasPlain ? plain : kpartx;
      throw new OtaError(
        "OTA_ERR_SLOT_MAP_AMBIGUOUS",
        `${path} line ${t.line}: ${key} names ${hasPlain ? "both" : "neither of"} ${plain} ${hasPlain ? "and" : "nor"} ${kpartx}`,
        { details: { key, plain, kpartx, exists: hasPlain } },
      );
    };
    for (const key of ["a.boot", "b.boot"] as const) {
      if (map[key].kind !== "") {
        throw new OtaError(
          "OTA_ERR_SLOT_MAP_INVALID",
          `${path} line ${map[key].line}: ${key} must be a partition of the boot disk (the firmware cannot read a mapped device)`,
          { details: { key } },
        );
      }
    }
    const dev = {
      aBoot: await device("a.boot", map["a.boot"]),
      aSystem: await device("a.system", map["a.system"]),
      bBoot: await device("b.boot", map["b.boot"]),
      bSystem: await device("b.system", map["b.system"]),
    };
    const booted = `${dt.disk}p${dt.partition}`;
    const a: SlotDevices = { slot: "a", boot: dev.aBoot, system: dev.aSystem, bootPartition: map["a.boot"].part };
    const b: SlotDevices = { slot: "b", boot: dev.bBoot, system: dev.bSystem, bootPartition: map["b.boot"].part };
    let active: SlotDevices;
    let other: SlotDevices;
    if (booted === dev.aBoot) [active, other] = [a, b];
    else if (booted === dev.bBoot) [active, other] = [b, a];
    else {
      throw new OtaError(
        "OTA_ERR_SLOT_ACTIVE_UNKNOWN",
        `booted ${booted} is neither a.boot (${dev.aBoot}) nor b.boot (${dev.bBoot}) of ${path}`,
        { details: { booted, aBoot: dev.aBoot, bBoot: dev.bBoot } },
      );
    }
    for (const d of [active.boot, active.system, other.boot, other.system]) {
      if (!(await fs.exists(d))) {
        throw new OtaError("OTA_ERR_SLOT_PARTITION_NOT_FOUND", `${path} names ${d}, which does not exist`, {
          details: { device: d },
        });
      }
    }
    const layout: SlotLayout = {
      scheme: this.scheme,
      bootDisk: dt.disk,
      active,
      other,
      reason: `booted partition ${dt.partition} (${active.slot}.boot in ${path})`,
    };
    // slot.map has no keys for these: autoboot.txt lives on partition 1; persistent only via its by-slot alias.
    if (await fs.exists(`${dt.disk}p1`)) layout.bootconfig = `${dt.disk}p1`;
    if (await fs.exists(`${BY_SLOT}/persistent`)) layout.persistent = await fs.realpath(`${BY_SLOT}/persistent`);

    await assertNoOverlap(fs, layout);
    if (this.lineage) {
      for (const d of [active.system, other.boot, other.system]) await this.lineage.assertOnDisk(d, dt.disk);
    }
    if (this.options.checkLinks !== false) await crossCheckBySlotLinks(fs, layout);
    return layout;
  }
}
