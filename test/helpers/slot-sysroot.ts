// Test helper: builds an rpi-image-gen-like sysroot (device tree, GPT disk, partition nodes, by-slot links, slot.map, sysfs dm chains).
//
//   const sr = await buildSlotSysroot({ layout: "current", partition: 3 });
//   new NodePlatform({ sysroot: sr.root })   // resolves: active b, other a
//   await sr.cleanup();
//
// Device nodes are regular files whose disk file carries a real GPT written by gpt-image.ts, or (`blockDevice`)
// block-device nodes of a loop device, since absolute symlinks resolve inside the sysroot. sysfs is the minimum the lineage walk needs: /sys/class/block/<kname>/{slaves/,dm/name,
// dm/uuid}. `udevEnv(part)` gives what udev would hand the shell helpers for a partition.
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GPT_TYPE, writeGptImage, type GptResolvedPartition } from "./gpt-image.js";

const MiB = 1024 * 1024;

/** rpi-image-gen's six partitions, HEAD naming (p1 "bootconfig") or the Oct-2025 one (p1 "config"). */
export function rpiLayout(kind: "current" | "legacy" = "current"): string[] {
  return [kind === "current" ? "bootconfig" : "config", "boot_a", "boot_b", "system_a", "system_b", "persistent"];
}

export interface DmDeviceSpec {
  /** Kernel name, "dm-0". */
  kname: string;
  /** DM name, "osdata_crypt" or "osdata_cryptp1". */
  name: string;
  /** Kernel names it is built on ("mmcblk0p4", "dm-0"). */
  slaves: string[];
  /** dm/uuid ("CRYPT-LUKS2-...", "part1-CRYPT-LUKS2-..."). Default derived: part<N>- for "<parent>p<N>" names. */
  uuid?: string;
  /** Partition labels of a GPT inside this device (a partitioned LUKS container once unlocked). */
  table?: string[];
}

export interface SlotSysrootSpec {
  /** DT boot-mode; null leaves the property out. Default 1 (mmcblk0); 6 gives nvme0n1. */
  bootMode?: number | null;
  /** DT partition; null leaves it out. Default 2. */
  partition?: number | null;
  /** Raw bytes for a property instead (malformed-DT tests). */
  rawDt?: Partial<Record<"boot-mode" | "partition", Buffer>>;
  /** Partition labels in order (number = index + 1). Default rpiLayout(layout). */
  labels?: string[];
  layout?: "current" | "legacy";
  /** Disk kernel name; default from bootMode (6 → nvme0n1, else mmcblk0). */
  diskName?: string;
  /** Create /dev/<disk>p<N> files. Default true. */
  partitionNodes?: boolean;
  /** Bytes written at the start of partition node N (e.g. a LUKS2 header), keyed by number. */
  partitionContent?: Record<number, Buffer>;
  /** by-slot links: name ("active/boot", "persistent") → device path the link points at. */
  bySlot?: Record<string, string>;
  /** Content of /boot/slot.map. */
  slotMap?: string;
  /** Device-mapper devices (sysfs + /dev/dm-N + /dev/mapper/<name>). */
  dm?: DmDeviceSpec[];
  /** Where to build; default a fresh temp dir. */
  root?: string;
  /**
   * A real block device holding the table (e.g. a loop device after `partx -a`): the disk and partition nodes become
   * block-device nodes with its major:minor (and `<dev>p<N>`'s) instead of files. `labels` must match its table;
   * they feed sysfs PARTNAME only. Needs root (mknod).
   */
  blockDevice?: string;
}

export interface SlotSysroot {
  root: string;
  diskName: string;
  /** "/dev/mmcblk0". */
  disk: string;
  partitions: GptResolvedPartition[];
  /** Device path of partition N ("/dev/mmcblk0p3"). */
  dev(n: number): string;
  /** Host path of a device path. */
  host(devicePath: string): string;
  /** What udev exports to IMPORT programs for partition N or a dm device. */
  udevEnv(target: number | DmDeviceSpec, label?: string, partNumber?: number): Record<string, string>;
  cleanup(): Promise<void>;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

async function put(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** Builds the sysroot described by `spec`. */
export async function buildSlotSysroot(spec: SlotSysrootSpec = {}): Promise<SlotSysroot> {
  const root = spec.root ?? (await mkdtemp(join(tmpdir(), "ota-slots-")));
  const bootMode = spec.bootMode === undefined ? 1 : spec.bootMode;
  const diskName = spec.diskName ?? (bootMode === 6 ? "nvme0n1" : "mmcblk0");
  const labels = spec.labels ?? rpiLayout(spec.layout);
  const host = (p: string): string => join(root, p);
  const dt = "proc/device-tree/chosen/bootloader";

  if (spec.rawDt?.["boot-mode"]) await put(host(`${dt}/boot-mode`), spec.rawDt["boot-mode"]);
  else if (bootMode !== null) await put(host(`${dt}/boot-mode`), u32(bootMode));
  const partition = spec.partition === undefined ? 2 : spec.partition;
  if (spec.rawDt?.partition) await put(host(`${dt}/partition`), spec.rawDt.partition);
  else if (partition !== null) await put(host(`${dt}/partition`), u32(partition));
  await mkdir(host(dt), { recursive: true });

  await mkdir(host("dev"), { recursive: true });
  let partitions: GptResolvedPartition[];
  if (spec.blockDevice) {
    const node = (src: string, dst: string): void => {
      const [major, minor] = execFileSync("stat", ["-L", "-c", "%Hr %Lr", src], { encoding: "utf8" }).trim().split(" ");
      execFileSync("mknod", [host(dst), "b", major as string, minor as string]);
    };
    node(spec.blockDevice, `dev/${diskName}`);
    labels.forEach((_l, i) => node(`${spec.blockDevice}p${i + 1}`, `dev/${diskName}p${i + 1}`));
    // Geometry is the real table's business here; only numbers and names are known.
    partitions = labels.map((name, i) => ({
      number: i + 1, name, startLba: 0, endLba: 0, offsetBytes: 0, sizeBytes: 0, typeGuid: "", uniqueGuid: "",
    }));
  } else {
    partitions = await writeGptImage(host(`dev/${diskName}`), {
      sizeBytes: (labels.length + 2) * MiB,
      partitions: labels.map((name, i) => ({
        name,
        sizeBytes: MiB,
        typeGuid: i < 3 ? GPT_TYPE.fat : GPT_TYPE.linux,
      })),
    });
  }
  await mkdir(host(`sys/class/block/${diskName}`), { recursive: true });
  for (const p of partitions) {
    const kname = `${diskName}p${p.number}`;
    await mkdir(host(`sys/class/block/${kname}/slaves`), { recursive: true });
    await put(host(`sys/class/block/${kname}/partition`), `${p.number}\n`);
    // The kernel exports the GPT name as PARTNAME; the shell helpers read the booted partition's label from it.
    await put(
      host(`sys/class/block/${kname}/uevent`),
      `DEVTYPE=partition\nPARTN=${p.number}\nDEVNAME=${kname}\nPARTNAME=${p.name}\n`,
    );
    if (spec.partitionNodes !== false && !spec.blockDevice) await put(host(`dev/${kname}`), spec.partitionContent?.[p.number] ?? "");
  }

  for (const d of spec.dm ?? []) {
    const sys = host(`sys/class/block/${d.kname}`);
    await mkdir(join(sys, "slaves"), { recursive: true });
    for (const s of d.slaves) await put(join(sys, "slaves", s), "");
    const parent = spec.dm?.find((o) => d.slaves.includes(o.kname));
    const m = parent ? new RegExp(`^${parent.name}p(\\d+)$`).exec(d.name) : null;
    await put(join(sys, "dm/name"), `${d.name}\n`);
    await put(join(sys, "dm/uuid"), `${d.uuid ?? (m ? `part${m[1]}-CRYPT-LUKS2-fixture` : "CRYPT-LUKS2-fixture")}\n`);
    if (d.table) {
      await writeGptImage(host(`dev/${d.kname}`), {
        sizeBytes: (d.table.length + 2) * MiB,
        partitions: d.table.map((name) => ({ name, sizeBytes: MiB })),
      });
    } else await put(host(`dev/${d.kname}`), "");
    await mkdir(host("dev/mapper"), { recursive: true });
    await symlink(`../${d.kname}`, host(`dev/mapper/${d.name}`));
  }

  for (const [name, target] of Object.entries(spec.bySlot ?? {})) {
    const link = host(`dev/disk/by-slot/${name}`);
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link);
  }
  if (spec.slotMap !== undefined) await put(host("boot/slot.map"), spec.slotMap);

  const dev = (n: number): string => `/dev/${diskName}p${n}`;
  return {
    root,
    diskName,
    disk: `/dev/${diskName}`,
    partitions,
    dev,
    host,
    udevEnv(target, label, partNumber) {
      if (typeof target === "number") {
        const p = partitions.find((x) => x.number === target);
        return {
          DEVNAME: dev(target),
          ID_PART_ENTRY_NAME: label ?? p?.name ?? "",
          ID_PART_ENTRY_NUMBER: String(target),
        };
      }
      const env: Record<string, string> = { DEVNAME: `/dev/${target.kname}`, DM_NAME: target.name };
      if (label !== undefined) env.ID_PART_ENTRY_NAME = label;
      if (partNumber !== undefined) env.ID_PART_ENTRY_NUMBER = String(partNumber);
      return env;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
