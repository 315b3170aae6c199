// SimDevice: a Raspberry Pi in a folder — GPT disk, partitions as files, device tree, firmware model, power cuts.
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { SlotName } from "../../core/capabilities/slot-resolver.js";
import { GPT_TYPE, writeGptImage } from "../helpers/gpt-image.js";
import { autobootSettings, runFirmware, type FirmwareHardware } from "./firmware.js";
import { SimHalt, SimPowerCut } from "./sim-errors.js";
import { SimPlatform, type SimPlatformHost, type SimPlatformOptions } from "./sim-platform.js";
import {
  MARKER_MAX_BYTES,
  makeSlotImages,
  parseSystemMarker,
  type SlotImageOptions,
  type SlotImages,
  type SlotMarker,
} from "./slot-images.js";
import { WriteJournal } from "./write-journal.js";

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const HERE = dirname(fileURLToPath(import.meta.url));

export interface SimDeviceOptions {
  /** Folder to build the device in (created; removed by close()). Default: a new temp dir. */
  dir?: string;
  /** "rpi-image-gen" (p1 named bootconfig, default) or "legacy" (p1 named config). */
  layout?: "rpi-image-gen" | "legacy";
  /** Written to `<dataDir>/device_type` and the config. Default "raspberrypi5". */
  deviceType?: string;
  /** "mounted" (default): autoboot.txt lives in `<sysroot>/bootfs`; "raw": p1 is a real FAT image (mtools). */
  bootconfig?: "mounted" | "raw";
  /** Image flashed to slot a. Default { version: "v1" }. null leaves the slot blank. */
  slotA?: SlotImageOptions | null;
  /** Image flashed to slot b. Default: the same as slot a (the factory image is bit-identical). */
  slotB?: SlotImageOptions | null;
  /** Which slot the factory autoboot.txt commits. Default "a". */
  committed?: SlotName;
  /** Replaces the factory autoboot.txt text. */
  autoboot?: string;
  /** `chosen/bootloader/capabilities`; null = the property is absent. Default 0x0c (TRYBOOT_A_B | TRYBOOT). */
  capabilities?: number | null;
  /** `chosen/bootloader/boot-mode`. Default 1 (SD/eMMC, disk mmcblk0); 6 = NVMe (disk nvme0n1). */
  bootMode?: number;
  /** A hung OS is reset by the watchdog (the shipped RuntimeWatchdogSec). Default true. */
  watchdog?: boolean;
  /** Partition sizes in bytes. Defaults: bootconfig 2 MiB, boot 4 MiB, system 8 MiB, persistent 4 MiB. */
  sizes?: { bootconfig?: number; boot?: number; system?: number; persistent?: number };
  /** Merged into the agent config object (e.g. `{ plugins: { "health-systemd": {...} } }`). */
  config?: Record<string, unknown>;
  /** Power the device on at creation. Default true. */
  boot?: boolean;
}

export interface SimBootResult {
  /** The slot that started last; null when no slot could be started. */
  slot: SlotName | null;
  /** Its boot partition number (0 when none). */
  partition: number;
  /** True when that start was a tryboot. */
  trial: boolean;
  outcome: "up" | "up-unhealthy" | "hung";
  /** The version in the started system's marker. */
  version?: string;
  /** What the firmware and OS did, one line per event. */
  bootLog: string[];
}

export type SimCutSpec =
  /** Cut at a named checkpoint: the first time it is reached, or every time with `every`. */
  | { at: string; every?: boolean; dropUnsynced?: boolean }
  /** Cut just before the n-th durable step (write, sync, rename, unlink, mkdir, symlink, fsync-dir) from now, 1-based. */
  | { atWrite: number; dropUnsynced?: boolean };

export interface SimAutoboot {
  /** The file's text; undefined when missing. */
  text: string | undefined;
  /** Settings that apply on a normal boot. */
  normal: Record<string, string>;
  /** Settings that apply on a tryboot. */
  tryboot: Record<string, string>;
  /** The slot a normal boot starts (undefined when boot_partition names no slot). */
  committed: SlotName | undefined;
  /** The slot a tryboot starts (committed when [tryboot] does not switch: "disarmed"). */
  trial: SlotName | undefined;
}

type DeviceState = "up" | "off" | "rebooting" | "hung";

/** One boot's liveness: platforms of an ended boot refuse every call. */
class BootSession {
  alive = true;
  endedBy: Error | undefined;
  end(err: Error): void {
    if (!this.alive) return;
    this.alive = false;
    this.endedBy = err;
  }
}

const SLOT_PARTITIONS: Record<SlotName, { boot: number; system: number }> = {
  a: { boot: 2, system: 4 },
  b: { boot: 3, system: 5 },
};
const PARTITION_COUNT = 6;

export class SimDevice {
  /** The device folder (holds sysroot/, bin/, firmware/). */
  readonly dir: string;
  /** Host directory every device path is rooted at. */
  readonly sysroot: string;
  /** Device path of the agent's data dir. */
  readonly dataDir = "/persistent/common/ota-agent";
  /** Host path of the agent config JSON (inside the sysroot's /etc/ota-agent). */
  readonly configFile: string;
  readonly binDir: string;
  readonly deviceType: string;
  readonly bootconfigMode: "mounted" | "raw";
  /** Device path of the boot disk: "/dev/mmcblk0", or "/dev/nvme0n1" with bootMode 6. */
  readonly disk: string;
  /** Every checkpoint name reached, in order (bounded to the last 100 000). */
  readonly checkpointsSeen: string[] = [];
  /** Every durable step since the last armCut, in order ("write /dev/mmcblk0p5", "rename ..."). */
  readonly writesSeen: string[] = [];
  /** Where the last cut struck, or undefined when none has. */
  lastCut: string | undefined;
  lastBoot: SimBootResult | undefined;
  readonly journal: WriteJournal;
  /** Handles opened through this device's file systems (every boot) and not closed yet → their device paths. */
  private readonly openHandles = new Map<object, string>();

  private state: DeviceState = "off";
  private session = new BootSession();
  private armed: SimCutSpec | undefined;
  private rebootRequest: { arg: string | undefined } | undefined;
  private readonly options: SimDeviceOptions;
  private readonly extraConfig: Record<string, unknown>;

  private constructor(dir: string, options: SimDeviceOptions) {
    this.dir = dir;
    this.options = options;
    this.sysroot = join(dir, "sysroot");
    this.binDir = join(dir, "bin");
    this.configFile = join(this.sysroot, "etc/ota-agent/config.json");
    this.deviceType = options.deviceType ?? "raspberrypi5";
    this.bootconfigMode = options.bootconfig ?? "mounted";
    this.disk = options.bootMode === 6 ? "/dev/nvme0n1" : "/dev/mmcblk0";
    this.journal = new WriteJournal(join(dir, ".journal"));
    this.extraConfig = options.config ?? {};
    this.session.end(new SimHalt("the device has not been powered on"));
  }

  /** Builds a device (and powers it on unless `boot: false`). */
  static async create(options: SimDeviceOptions = {}): Promise<SimDevice> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "ota-sim-")));
    await mkdir(dir, { recursive: true });
    const device = new SimDevice(dir, options);
    await device.build();
    if (options.boot !== false) await device.boot();
    return device;
  }

  /** The agent config (sysroot, dataDir, deviceType, rebootCommand) plus `options.config`. */
  config(): Record<string, unknown> {
    return {
      sysroot: this.sysroot,
      dataDir: this.dataDir,
      deviceType: this.deviceType,
      rebootCommand: [process.execPath, join(HERE, "reboot-cmd.mjs"), this.dir],
      ...this.extraConfig,
    };
  }

  /** A Platform for the running boot. Throws when the device is not up. */
  platform(options: SimPlatformOptions = {}): SimPlatform {
    if (this.state !== "up") throw new Error(`sim: the device is ${this.state}; call boot() first`);
    return new SimPlatform(this.host(this.session), options);
  }

  /** Host path of a device path (no symlink resolution). */
  path(devicePath: string): string {
    return join(this.sysroot, devicePath);
  }

  /** The reboot the running OS asked for (in process or through reboot-cmd.mjs), if any. */
  get pendingReboot(): { arg: string | undefined } | undefined {
    if (this.rebootRequest) return this.rebootRequest;
    try {
      const r = JSON.parse(readFileSync(this.rebootRequestFile, "utf8")) as { arg?: unknown };
      return { arg: typeof r.arg === "string" ? r.arg : undefined };
    } catch {
      return undefined;
    }
  }

  /** "up", "off" (after a cut), "rebooting" (a reboot was requested) or "hung". */
  get status(): DeviceState {
    return this.pendingReboot && this.state === "up" ? "rebooting" : this.state;
  }

  /**
   * Starts the device: performs the pending reboot (everything written becomes durable, as the kernel syncs
   * before restarting), or powers it on after a cut or a hang. Runs the firmware model through panics and
   * watchdog resets until the OS is up, hung, or the firmware gives up.
   */
  async boot(): Promise<SimBootResult> {
    const pending = this.pendingReboot;
    if (this.state === "up" && !pending) {
      throw new Error("sim: the device is running; cut power (powerCut) or let the agent reboot before boot()");
    }
    this.rebootRequest = undefined;
    rmSync(this.rebootRequestFile, { force: true });
    if (pending) this.journal.flushAll();
    this.session.end(new SimHalt("a new boot started"));

    const fw = await runFirmware(this.hardware(), pending?.arg, {
      watchdog: this.options.watchdog ?? true,
      maxAttempts: 6,
    });
    const slot = slotOfPartition(fw.partition);
    await this.writeRuntime(fw.partition, fw.trial, fw.marker);
    this.state = fw.outcome === "hung" ? "hung" : "up";
    this.session = new BootSession();
    if (this.state !== "up") this.session.end(new SimHalt("the device is hung"));
    this.lastBoot = {
      slot,
      partition: fw.partition,
      trial: fw.trial,
      outcome: fw.outcome,
      ...(fw.marker ? { version: fw.marker.version } : {}),
      bootLog: fw.bootLog,
    };
    return this.lastBoot;
  }

  /**
   * Cuts power now. With dropUnsynced (default true) every write not yet made durable is undone; the tryboot
   * flag of a pending reboot is lost. Returns the number of changes dropped.
   */
  powerCut(options: { dropUnsynced?: boolean } = {}): number {
    return this.cut("powerCut()", options.dropUnsynced ?? true);
  }

  /** Arms a cut at a checkpoint name or at the n-th durable step from now; replaces any armed cut. */
  armCut(spec: SimCutSpec): void {
    this.armed = spec;
    this.writesSeen.length = 0;
  }

  disarmCut(): void {
    this.armed = undefined;
  }

  /**
   * Device paths of the handles opened through this device's file systems and never closed, in opening order.
   * A cut ends the boot but closes nothing (the calling code's `finally` still runs in this process), so a test
   * asserting this is empty after its cuts catches handles left to the garbage collector on an error path.
   */
  openFiles(): string[] {
    return [...this.openHandles.values()];
  }

  /** The marker of the system image in `slot`'s system partition; undefined when blank or damaged. */
  async slotMarker(slot: SlotName): Promise<SlotMarker | undefined> {
    const head = await this.readPartitionHead(SLOT_PARTITIONS[slot].system);
    return head && parseSystemMarker(head);
  }

  /** Writes images straight to a slot's partitions (a factory flash: untracked, immediately durable). */
  async flashSlot(slot: SlotName, images: SlotImages | SlotImageOptions): Promise<void> {
    const img = "boot" in images && Buffer.isBuffer(images.boot) ? (images as SlotImages) : makeSlotImages(images as SlotImageOptions);
    await writeInto(this.partitionFile(SLOT_PARTITIONS[slot].boot), img.boot);
    await writeInto(this.partitionFile(SLOT_PARTITIONS[slot].system), img.system);
  }

  /** Host path of partition N's file ("<sysroot>/dev/mmcblk0pN"). */
  partitionFile(n: number): string {
    return join(this.sysroot, this.partitionDevice(n));
  }

  /** Device path of partition N ("/dev/mmcblk0p2"; "/dev/nvme0n1p2" with bootMode 6). */
  partitionDevice(n: number): string {
    return `${this.disk}p${n}`;
  }

  /** The autoboot.txt the firmware would read now, parsed with the firmware model's rules. */
  async autoboot(): Promise<SimAutoboot> {
    const buf = await this.readAutobootRaw();
    const text = buf?.toString("latin1");
    const normal = autobootSettings(text ?? "", false);
    const tryboot = autobootSettings(text ?? "", true);
    return {
      text,
      normal: Object.fromEntries(normal),
      tryboot: Object.fromEntries(tryboot),
      committed: slotOfPartition(Number(normal.get("boot_partition"))) ?? undefined,
      trial: slotOfPartition(Number(tryboot.get("boot_partition"))) ?? undefined,
    };
  }

  /** Replaces autoboot.txt behind the agent's back (factory state, garbled files), immediately durable. */
  async writeAutoboot(text: string | Buffer): Promise<void> {
    if (this.bootconfigMode === "mounted") {
      await writeFile(join(this.sysroot, "bootfs/autoboot.txt"), text);
      return;
    }
    const tmp = join(this.dir, "autoboot.upload");
    await writeFile(tmp, text);
    await execFileAsync("mcopy", ["-o", "-i", this.partitionFile(1), tmp, "::autoboot.txt"], { env: mtoolsEnv() });
    await rm(tmp, { force: true });
  }

  /** What the fake systemctl answers now; undefined before the OS came up. */
  async systemd(): Promise<{ state: string; units: Record<string, string> } | undefined> {
    try {
      return JSON.parse(await readFile(join(this.sysroot, "run/sim/systemd.json"), "utf8")) as { state: string; units: Record<string, string> };
    } catch {
      return undefined;
    }
  }

  /** Changes what the fake systemctl answers until the next boot (e.g. `{ state: "starting" }`); units are merged. */
  async setSystemd(patch: { state?: string; units?: Record<string, string> }): Promise<void> {
    const now = (await this.systemd()) ?? { state: "offline", units: {} };
    const next = { state: patch.state ?? now.state, units: { ...now.units, ...patch.units } };
    await mkdir(join(this.sysroot, "run/sim"), { recursive: true });
    await writeFile(join(this.sysroot, "run/sim/systemd.json"), JSON.stringify(next, null, 2) + "\n");
  }

  /** Removes the device folder. The device and its platforms are unusable afterwards. */
  async close(): Promise<void> {
    this.session.end(new SimHalt("the device was closed"));
    this.state = "off";
    await rm(this.dir, { recursive: true, force: true });
  }

  // --- internals -------------------------------------------------------------------------------------------

  private get rebootRequestFile(): string {
    return join(this.dir, "firmware/reboot-request.json");
  }

  private host(session: BootSession): SimPlatformHost {
    return {
      sysroot: this.sysroot,
      binDir: this.binDir,
      journal: this.journal,
      openFiles: this.openHandles,
      assertAlive: () => {
        if (!session.alive) throw session.endedBy ?? new SimHalt("the boot has ended");
      },
      beforeWrite: (what: string) => {
        if (!session.alive) throw session.endedBy ?? new SimHalt("the boot has ended");
        this.writesSeen.push(what);
        const armed = this.armed;
        if (armed && "atWrite" in armed && this.writesSeen.length >= armed.atWrite) {
          this.armed = undefined;
          this.cut(`write #${this.writesSeen.length} (${what})`, armed.dropUnsynced ?? true);
          return Promise.reject(session.endedBy as Error);
        }
        return Promise.resolve();
      },
      checkpoint: (name: string) => {
        if (this.checkpointsSeen.length >= 100_000) this.checkpointsSeen.shift();
        this.checkpointsSeen.push(name);
        const armed = this.armed;
        if (armed && "at" in armed && armed.at === name) {
          if (!armed.every) this.armed = undefined;
          this.cut(name, armed.dropUnsynced ?? true);
          throw session.endedBy as Error;
        }
      },
      requestReboot: (arg: string | undefined): never => {
        this.rebootRequest = { arg };
        const halt = new SimHalt(`reboot${arg === undefined ? "" : ` "${arg}"`}`);
        session.end(halt);
        throw halt;
      },
    };
  }

  private cut(at: string, dropUnsynced: boolean): number {
    this.session.end(new SimPowerCut(at));
    this.lastCut = at;
    this.rebootRequest = undefined;
    rmSync(this.rebootRequestFile, { force: true });
    this.state = "off";
    if (!dropUnsynced) {
      this.journal.flushAll();
      return 0;
    }
    return this.journal.dropUnsynced();
  }

  private hardware(): FirmwareHardware {
    return {
      partitionCount: PARTITION_COUNT,
      readAutoboot: () => this.readAutobootRaw(),
      readPartitionHead: (n) => this.readPartitionHead(n),
      systemPartitionFor: (p) => {
        const slot = slotOfPartition(p);
        return slot ? SLOT_PARTITIONS[slot].system : undefined;
      },
    };
  }

  private async readAutobootRaw(): Promise<Buffer | undefined> {
    if (this.bootconfigMode === "mounted") {
      return readFile(join(this.sysroot, "bootfs/autoboot.txt")).catch(() => undefined);
    }
    try {
      const { stdout } = await execFileAsync("mtype", ["-i", this.partitionFile(1), "::autoboot.txt"], {
        env: mtoolsEnv(),
        encoding: "buffer",
      });
      return stdout;
    } catch {
      return undefined;
    }
  }

  private async readPartitionHead(n: number): Promise<Buffer | undefined> {
    const fh = await open(this.partitionFile(n), "r").catch(() => undefined);
    if (!fh) return undefined;
    try {
      const buf = Buffer.alloc(MARKER_MAX_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Builds the disk, partitions, factory images, sysroot tree, fake tools and config. */
  private async build(): Promise<void> {
    const o = this.options;
    const sizes = {
      bootconfig: o.sizes?.bootconfig ?? 2 * MiB,
      boot: o.sizes?.boot ?? 4 * MiB,
      system: o.sizes?.system ?? 8 * MiB,
      persistent: o.sizes?.persistent ?? 4 * MiB,
    };
    const s = this.sysroot;
    for (const d of ["dev/disk", "proc/device-tree/chosen/bootloader", "bootfs", "run", "etc/ota-agent/scripts"]) {
      await mkdir(join(s, d), { recursive: true });
    }
    await mkdir(join(this.dir, "firmware"), { recursive: true });
    await mkdir(join(s, this.dataDir), { recursive: true });
    await writeFile(join(s, this.dataDir, "device_type"), `device_type=${this.deviceType}\n`);
    await writeFile(join(s, "proc/device-tree/model"), "Raspberry Pi 5 Model B Rev 1.0\0");

    const partitions = [
      { name: o.layout === "legacy" ? "config" : "bootconfig", sizeBytes: sizes.bootconfig, typeGuid: GPT_TYPE.fat, attributes: 4n },
      { name: "boot_a", sizeBytes: sizes.boot, typeGuid: GPT_TYPE.fat, attributes: 4n },
      { name: "boot_b", sizeBytes: sizes.boot, typeGuid: GPT_TYPE.fat, attributes: 4n },
      { name: "system_a", sizeBytes: sizes.system, typeGuid: GPT_TYPE.linux },
      { name: "system_b", sizeBytes: sizes.system, typeGuid: GPT_TYPE.linux },
      { name: "persistent", sizeBytes: sizes.persistent, typeGuid: GPT_TYPE.linux },
    ];
    const total = partitions.reduce((n, p) => n + p.sizeBytes, 0) + 8 * MiB;
    await writeGptImage(join(s, this.disk), { sizeBytes: total, partitions });
    for (let i = 0; i < partitions.length; i++) {
      const fh = await open(this.partitionFile(i + 1), "w");
      try {
        await fh.truncate(partitions[i]?.sizeBytes ?? 0);
      } finally {
        await fh.close();
      }
    }

    const slotA = o.slotA === undefined ? { version: "v1" } : o.slotA;
    const slotB = o.slotB === undefined ? slotA : o.slotB;
    if (slotA) await this.flashSlot("a", slotA);
    if (slotB) await this.flashSlot("b", slotB);

    const committed = o.committed ?? "a";
    const other = committed === "a" ? "b" : "a";
    const factory =
      o.autoboot ??
      `[all]\ntryboot_a_b=1\nboot_partition=${SLOT_PARTITIONS[committed].boot}\n[tryboot]\nboot_partition=${SLOT_PARTITIONS[other].boot}\n`;
    if (this.bootconfigMode === "raw") {
      await execFileAsync("mkfs.vfat", ["-n", "BOOTCONFIG", this.partitionFile(1)]);
    }
    await this.writeAutoboot(factory);

    await this.writeFakeTools();
    await writeFile(this.configFile, JSON.stringify(this.config(), null, 2) + "\n");
  }

  /** What the firmware and early userspace leave behind at each boot: device tree, by-slot links, run state. */
  private async writeRuntime(partition: number, trial: boolean, marker: SlotMarker | undefined): Promise<void> {
    const s = this.sysroot;
    const dt = join(s, "proc/device-tree/chosen/bootloader");
    await writeFile(join(dt, "boot-mode"), u32be(this.options.bootMode ?? 1));
    await writeFile(join(dt, "partition"), u32be(partition));
    await writeFile(join(dt, "tryboot"), u32be(trial ? 1 : 0));
    const caps = this.options.capabilities === undefined ? 0x0c : this.options.capabilities;
    if (caps === null) await rm(join(dt, "capabilities"), { force: true });
    else await writeFile(join(dt, "capabilities"), u32be(caps));

    // /run is a tmpfs: empty at every boot.
    await rm(join(s, "run"), { recursive: true, force: true });
    await mkdir(join(s, "run/sim"), { recursive: true });

    const bySlot = join(s, "dev/disk/by-slot");
    await rm(bySlot, { recursive: true, force: true });
    const active = slotOfPartition(partition);
    if (active) {
      const other = active === "a" ? "b" : "a";
      for (const [role, slot] of [["active", active], ["other", other]] as const) {
        await mkdir(join(bySlot, role), { recursive: true });
        await symlink(this.partitionDevice(SLOT_PARTITIONS[slot].boot), join(bySlot, role, "boot"));
        await symlink(this.partitionDevice(SLOT_PARTITIONS[slot].system), join(bySlot, role, "system"));
      }
      await symlink(this.partitionDevice(1), join(bySlot, "bootconfig"));
      await symlink(this.partitionDevice(6), join(bySlot, "persistent"));
    }

    if (marker) {
      const units: Record<string, string> = {
        "multi-user.target": "active",
        "ota-agent.service": "active",
        "sim-app.service": marker.behaviour === "unhealthy" ? "failed" : "active",
        ...marker.units,
      };
      const degraded = Object.values(units).some((u) => u === "failed");
      await writeFile(
        join(s, "run/sim/systemd.json"),
        JSON.stringify({ state: degraded ? "degraded" : "running", units }, null, 2) + "\n",
      );
      await writeFile(join(s, "etc/os-release"), `ID=sim-rpi\nNAME="Simulated Raspberry Pi OS"\nVERSION_ID=${marker.version}\n`);
    }
  }

  private async writeFakeTools(): Promise<void> {
    await mkdir(this.binDir, { recursive: true });
    const systemctl = join(this.binDir, "systemctl");
    await copyFile(join(HERE, "fake-systemctl.sh"), systemctl);
    await chmod(systemctl, 0o755);
  }
}

function slotOfPartition(p: number): SlotName | null {
  if (p === SLOT_PARTITIONS.a.boot) return "a";
  if (p === SLOT_PARTITIONS.b.boot) return "b";
  return null;
}

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

async function writeInto(file: string, data: Buffer): Promise<void> {
  const fh = await open(file, "r+");
  try {
    const size = (await fh.stat()).size;
    if (data.length > size) throw new Error(`sim: image of ${data.length} bytes does not fit ${file} (${size} bytes)`);
    await fh.write(data, 0, data.length, 0);
  } finally {
    await fh.close();
  }
}

function mtoolsEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MTOOLS_SKIP_CHECK: "1" };
}
