// BlockLineage from sysfs: slaves chains of device-mapper devices, LUKS2 headers on boot-disk partitions.
import type { Platform } from "../../core/capabilities/platform.js";
import type { BlockLineage, LuksContainer, MappedPartition } from "../../core/capabilities/block-lineage.js";
import { OtaError } from "../../core/errors/index.js";
import { LUKS_HEADER_PROBE_BYTES, parseLuksHeader } from "./luks-header.js";

const SYS_BLOCK = "/sys/class/block";
/** dm stacks are a few levels deep; a cycle in a broken sysfs fixture must not hang us. */
const MAX_DEPTH = 16;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** KNAME is a partition of DISK: <disk>p<digits> or <disk><digits> (the helpers' rule). */
export function isPartitionOf(kname: string, disk: string): boolean {
  const d = baseName(disk);
  if (!kname.startsWith(d)) return false;
  const rest = kname.slice(d.length);
  return /^p?[0-9]+$/.test(rest);
}

export class SysfsBlockLineage implements BlockLineage {
  constructor(private readonly platform: Platform) {}

  private async readTrim(path: string): Promise<string | undefined> {
    try {
      return (await this.platform.fs.readText(path))?.trim();
    } catch {
      return undefined;
    }
  }

  private async slaves(kname: string): Promise<string[]> {
    try {
      return (await this.platform.fs.readdir(`${SYS_BLOCK}/${kname}/slaves`)).sort();
    } catch {
      return [];
    }
  }

  /** Kernel name of a device path, following /dev/mapper/<name> → ../dm-N links. */
  private async kname(device: string): Promise<string> {
    try {
      return baseName(await this.platform.fs.realpath(device));
    } catch {
      return baseName(device);
    }
  }

  async ancestors(kname: string): Promise<string[]> {
    const out: string[] = [];
    let level = [kname];
    for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth++) {
      const next: string[] = [];
      for (const k of level) {
        for (const s of await this.slaves(k)) {
          if (!out.includes(s) && s !== kname) {
            out.push(s);
            next.push(s);
          }
        }
      }
      level = next;
    }
    return out;
  }

  async isOnDisk(device: string, disk: string): Promise<boolean> {
    const k = await this.kname(device);
    if (isPartitionOf(k, disk)) return true;
    return (await this.ancestors(k)).some((a) => isPartitionOf(a, disk));
  }

  async assertOnDisk(device: string, disk: string): Promise<void> {
    if (await this.isOnDisk(device, disk)) return;
    const k = await this.kname(device);
    throw new OtaError(
      "OTA_ERR_SLOT_NOT_ON_BOOT_DISK",
      `${device} (${k}) is not on the boot disk ${disk} (built on: ${(await this.ancestors(k)).join(", ") || "nothing"})`,
      { details: { device, kname: k, disk } },
    );
  }

  private async blockNames(): Promise<string[]> {
    try {
      return (await this.platform.fs.readdir(SYS_BLOCK)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    } catch {
      return [];
    }
  }

  /** dm-* devices directly on top of `kname`. */
  private async holders(kname: string): Promise<string[]> {
    const out: string[] = [];
    for (const k of await this.blockNames()) {
      if (k.startsWith("dm-") && (await this.slaves(k)).includes(kname)) out.push(k);
    }
    return out;
  }

  async luksContainers(disk: string): Promise<LuksContainer[]> {
    const out: LuksContainer[] = [];
    for (const k of await this.blockNames()) {
      if (!isPartitionOf(k, disk)) continue;
      const device = `/dev/${k}`;
      const head = await this.readHead(device);
      const hdr = head && parseLuksHeader(head);
      if (!hdr) continue;
      const c: LuksContainer = { device, label: hdr.label, uuid: hdr.uuid };
      const [holder] = await this.holders(k);
      const name = holder && (await this.readTrim(`${SYS_BLOCK}/${holder}/dm/name`));
      if (name) c.mapped = `/dev/mapper/${name}`;
      out.push(c);
    }
    return out;
  }

  private async readHead(device: string): Promise<Buffer | undefined> {
    try {
      const fh = await this.platform.fs.open(device, "r");
      try {
        const buf = Buffer.alloc(LUKS_HEADER_PROBE_BYTES);
        const n = await fh.read(buf, 0, buf.length, 0);
        return buf.subarray(0, n);
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
  }

  async mappedPartitions(disk: string): Promise<MappedPartition[]> {
    const out: MappedPartition[] = [];
    for (const k of await this.blockNames()) {
      if (!k.startsWith("dm-")) continue;
      const slaves = await this.slaves(k);
      // A kpartx partition sits on exactly one dm device: the container.
      if (slaves.length !== 1 || !slaves[0]?.startsWith("dm-")) continue;
      const parent = slaves[0];
      const name = await this.readTrim(`${SYS_BLOCK}/${k}/dm/name`);
      const parentName = await this.readTrim(`${SYS_BLOCK}/${parent}/dm/name`);
      if (!name || !parentName) continue;
      const uuid = (await this.readTrim(`${SYS_BLOCK}/${k}/dm/uuid`)) ?? "";
      const byUuid = /^part([0-9]+)-/.exec(uuid)?.[1];
      const byName = name.startsWith(parentName) ? /^p?([0-9]+)$/.exec(name.slice(parentName.length))?.[1] : undefined;
      const number = Number(byUuid ?? byName);
      if (!Number.isInteger(number) || number <= 0) continue;
      if (!(await this.isOnDisk(`/dev/${k}`, disk))) continue;
      out.push({ device: `/dev/mapper/${name}`, kname: k, container: `/dev/mapper/${parentName}`, number });
    }
    return out;
  }
}
