// TrybootBootloader: the Raspberry Pi firmware's one-shot tryboot as the Bootloader capability.
//
// Facts used: the booted partition and the trial flag come from /proc/device-tree/chosen/bootloader (big-endian
// u32 `partition`, `tryboot`, optional `capabilities`); the committed partition is `[all] boot_partition` of
// autoboot.txt; `[tryboot] boot_partition` is what a `reboot "0 tryboot"` starts, once.
//
// Policy (deviation from rpi-image-gen, whose factory file is always "armed" at the other slot): between
// deployments the file is DISARMED — `[tryboot]` names the committed partition — so a stray `reboot "0 tryboot"`
// (a script, an operator, Raspberry Pi Connect) can never start a slot that holds a half-written or old image.
// armTrial writes `[tryboot]` = the other slot only after the update module has written and verified it
// ("arm last"); disarm and commit both leave `[tryboot]` = `[all]`.
import { posix } from "node:path";
import type { BootState, Bootloader } from "../../core/capabilities/bootloader.js";
import type { Platform } from "../../core/capabilities/platform.js";
import type { SlotLayout, SlotName, SlotResolver } from "../../core/capabilities/slot-resolver.js";
import { OtaError, asOtaError, isOtaError } from "../../core/errors/index.js";
import type { Logger } from "../../core/logging/logger.js";
import { AUTOBOOT_MAX_BYTES, applyingSettings, partitionSetting, renderAutoboot } from "./autoboot-file.js";
import { MountedAutobootStore, RawAutobootStore, type AutobootStore } from "./autoboot-store.js";
import { BOOT_EVENTS } from "./boot-events.js";
import type { TrybootConfig } from "./manifest.js";

export const DT_BOOTLOADER = "/proc/device-tree/chosen/bootloader";
/** `capabilities` bits (BCM2711/2712 EEPROM). */
export const CAP_TRYBOOT_A_B = 1 << 2;
export const CAP_TRYBOOT = 1 << 3;
/** state() errors that `repair` fixes by rewriting the file (others — device tree, FAT, layout — it cannot). */
const REPAIRABLE: ReadonlySet<string> = new Set(["OTA_ERR_BOOT_AUTOBOOT_MISSING", "OTA_ERR_BOOT_AUTOBOOT_INVALID"]);

interface DeviceTreeFacts {
  partition: number;
  /** 1 when this boot started with the tryboot flag; 0 also when the property is absent (old firmware). */
  tryboot: number;
  /** Absent on firmware that does not report capabilities. */
  capabilities: number | undefined;
}

interface Snapshot {
  dt: DeviceTreeFacts;
  layout: SlotLayout;
  store: AutobootStore;
  text: string | undefined;
}

export class TrybootBootloader implements Bootloader {
  readonly name = "tryboot";

  constructor(
    private readonly platform: Platform,
    private readonly slots: SlotResolver,
    private readonly log: Logger,
    private readonly config: TrybootConfig,
  ) {}

  async state(): Promise<BootState> {
    return this.describe(await this.snapshot());
  }

  async armTrial(target: SlotName): Promise<void> {
    const snap = await this.snapshot();
    const st = this.describe(snap);
    const { layout } = snap;
    if (target !== layout.other.slot) {
      throw new OtaError("OTA_ERR_BOOT_TARGET_INVALID", `cannot arm a trial of slot ${target}: it is the running slot`, {
        details: { target, booted: st.booted },
      });
    }
    if (st.booted !== st.committed) {
      throw new OtaError(
        "OTA_ERR_BOOT_UNCOMMITTED_TRIAL",
        `cannot arm a trial of slot ${target}: the running slot ${st.booted} is not committed (committed: ${st.committed}${st.trial ? ", this is a trial boot" : ""}); commit it or reboot first`,
        { details: { booted: st.booted, committed: st.committed, trial: st.trial } },
      );
    }
    const caps = snap.dt.capabilities;
    // Both bits are needed: TRYBOOT (bit 3) for the one-shot flag at all, TRYBOOT_A_B (bit 2) for `tryboot_a_b=1`.
    const missing = [
      ...((caps ?? CAP_TRYBOOT) & CAP_TRYBOOT ? [] : ["TRYBOOT (bit 3)"]),
      ...((caps ?? CAP_TRYBOOT_A_B) & CAP_TRYBOOT_A_B ? [] : ["TRYBOOT_A_B (bit 2)"]),
    ];
    if (this.config.requireTrybootAB && caps !== undefined && missing.length > 0) {
      throw new OtaError(
        "OTA_ERR_BOOT_TRYBOOT_UNSUPPORTED",
        `the bootloader reports capabilities 0x${caps.toString(16)} without ${missing.join(" and ")}: update the EEPROM (rpi-eeprom-update -a) before A/B updates`,
        { details: { capabilities: caps, missing } },
      );
    }
    await this.writeChoice(snap, { committed: layout.active.bootPartition, tryboot: layout.other.bootPartition }, "arm");
    this.log.info(
      { event: BOOT_EVENTS.trialArmed, slot: target, partition: layout.other.bootPartition, autoboot: snap.store.location },
      `trial of slot ${target} (partition ${layout.other.bootPartition}) armed`,
    );
  }

  async disarm(): Promise<void> {
    // Must work on failure paths: needs only autoboot.txt, not a healthy slot layout.
    const layout = await this.slots.resolve().catch(() => undefined);
    const store = await this.store(layout);
    const text = await store.read();
    const committed = text === undefined ? undefined : partitionSetting(applyingSettings(text, false));
    if (text === undefined || committed === undefined || committed === 0) {
      throw new OtaError("OTA_ERR_BOOT_AUTOBOOT_INVALID", `cannot disarm: ${store.location} ${text === undefined ? "is missing" : "names no [all] boot_partition"}`, {
        details: { location: store.location },
      });
    }
    const changed = await this.writeChoice({ store, text }, { committed, tryboot: committed }, "disarm");
    if (changed) this.log.info({ event: BOOT_EVENTS.trialDisarmed, partition: committed }, "tryboot disarmed: a trial reboot starts the committed slot");
  }

  async commit(slot: SlotName): Promise<void> {
    const snap = await this.snapshot({ allowBadAutoboot: true });
    const active = snap.layout.active;
    if (slot !== active.slot) {
      throw new OtaError("OTA_ERR_BOOT_TARGET_INVALID", `cannot commit slot ${slot}: slot ${active.slot} is running; only the running slot can be committed`, {
        details: { slot, booted: active.slot },
      });
    }
    const changed = await this.writeChoice(snap, { committed: active.bootPartition, tryboot: active.bootPartition }, "commit");
    if (changed) {
      this.log.info({ event: BOOT_EVENTS.slotCommitted, slot, partition: active.bootPartition }, `slot ${slot} (partition ${active.bootPartition}) committed`);
    }
  }

  async reboot(options: { trial: boolean }): Promise<void> {
    if (options.trial) {
      const st = await this.state().catch(() => undefined);
      if (!st?.armed) {
        this.log.warn({ event: BOOT_EVENTS.trialRebootNotArmed }, "trial reboot requested but no trial is armed: the committed slot will start");
      }
      this.log.info({ event: BOOT_EVENTS.reboot, trial: true, armed: st?.armed ?? null }, 'rebooting with "0 tryboot"');
      await this.platform.reboot("0 tryboot");
      return;
    }
    this.log.info({ event: BOOT_EVENTS.reboot, trial: false }, "rebooting into the committed slot");
    await this.platform.reboot();
  }

  /**
   * Boot-time repair: a missing or unparsable autoboot.txt becomes the disarmed fragment of the running slot. The
   * old text is not kept (its lines cannot be trusted, and foreign lines could push it over 512 bytes). Refused on
   * a trial boot: only a slot started normally — as the default, or the firmware's fallback — is known good.
   */
  async repair(): Promise<SlotName | undefined> {
    const dt = await this.readDeviceTree();
    const layout = await this.slots.resolve();
    const store = await this.store(layout);
    let text: string | undefined;
    try {
      text = await store.read();
    } catch (err) {
      // Only OS and boot errors mean "unreadable"; anything else (a bug, a simulated power cut) passes unchanged.
      if (!isOtaError(err) && typeof (err as { code?: unknown } | null)?.code !== "string") throw err;
      text = undefined;
    }
    let fault: OtaError;
    try {
      this.describe({ dt, layout, store, text });
      return undefined;
    } catch (err) {
      if (!isOtaError(err) || !REPAIRABLE.has(err.code)) throw err;
      fault = err;
    }
    if (dt.tryboot === 1) {
      throw new OtaError(
        "OTA_ERR_BOOT_REPAIR_REFUSED",
        `${store.location} is broken (${fault.code}) but this is a trial boot of slot ${layout.active.slot}: not making an unproven slot the default`,
        { cause: fault, details: { location: store.location, booted: layout.active.slot } },
      );
    }
    const active = layout.active;
    this.platform.checkpoint("tryboot:repair:before-write");
    await store.write(renderAutoboot({ committed: active.bootPartition, tryboot: active.bootPartition }));
    this.platform.checkpoint("tryboot:repair:written");
    this.log.warn(
      { event: BOOT_EVENTS.autobootRepaired, slot: active.slot, partition: active.bootPartition, autoboot: store.location, fault: fault.code, oldBytes: text?.length },
      `${store.location} was ${text === undefined ? "missing or unreadable" : "invalid"} (${fault.code}): rewritten with the running slot ${active.slot} (partition ${active.bootPartition}) as the disarmed default`,
    );
    return active.slot;
  }

  /** `ota-agent tryboot-fragment`: rpi-slot-tryboot's output for the running layout. */
  async fragment(): Promise<string> {
    const layout = await this.slots.resolve();
    return renderAutoboot({ committed: layout.active.bootPartition, tryboot: layout.other.bootPartition });
  }

  // --- internals -------------------------------------------------------------------------------------------

  private describe(snap: Snapshot): BootState {
    const { dt, layout, store, text } = snap;
    const slotOf = (p: number | undefined): SlotName | undefined =>
      p === layout.active.bootPartition ? layout.active.slot : p === layout.other.bootPartition ? layout.other.slot : undefined;
    if (text === undefined) {
      throw new OtaError("OTA_ERR_BOOT_AUTOBOOT_MISSING", `${store.location} does not exist: the firmware has no A/B boot choice`, {
        details: { location: store.location },
      });
    }
    const normal = applyingSettings(text, false);
    const tryboot = applyingSettings(text, true);
    const committedPartition = partitionSetting(normal);
    const committed = slotOf(committedPartition);
    if (committed === undefined) {
      throw new OtaError(
        "OTA_ERR_BOOT_AUTOBOOT_INVALID",
        `${store.location}: [all] boot_partition=${normal.get("boot_partition") ?? "(none)"} names neither slot (a = partition ${layout.active.slot === "a" ? layout.active.bootPartition : layout.other.bootPartition}, b = partition ${layout.active.slot === "b" ? layout.active.bootPartition : layout.other.bootPartition})`,
        { details: { location: store.location, bootPartition: normal.get("boot_partition") } },
      );
    }
    const trybootPartition = partitionSetting(tryboot);
    const trialSlot = slotOf(trybootPartition);
    const armed = tryboot.get("tryboot_a_b") === "1" && trialSlot !== undefined && trialSlot !== committed ? trialSlot : null;
    return {
      booted: layout.active.slot,
      committed,
      trial: dt.tryboot === 1,
      armed,
      details: {
        backend: "tryboot",
        bootedPartition: dt.partition,
        trybootFlag: dt.tryboot,
        capabilities: dt.capabilities,
        autoboot: store.location,
        autobootMode: store.mode,
        committedPartition,
        trybootPartition,
        trybootAB: normal.get("tryboot_a_b") === "1",
      },
    };
  }

  private async snapshot(options: { allowBadAutoboot?: boolean } = {}): Promise<Snapshot> {
    const dt = await this.readDeviceTree();
    const layout = await this.slots.resolve();
    if (dt.partition !== layout.active.bootPartition) {
      throw new OtaError(
        "OTA_ERR_BOOT_SLOT_MISMATCH",
        `the firmware booted partition ${dt.partition} but the slot layout (${layout.scheme}) says the active boot partition is ${layout.active.bootPartition}`,
        { details: { dtPartition: dt.partition, activeBootPartition: layout.active.bootPartition, scheme: layout.scheme } },
      );
    }
    const store = await this.store(layout);
    let text: string | undefined;
    try {
      text = await store.read();
    } catch (err) {
      if (options.allowBadAutoboot) return { dt, layout, store, text: undefined };
      // OS errors become a boot error with context; anything else (a bug, a simulated power cut) passes unchanged.
      if (isOtaError(err) || typeof (err as { code?: unknown } | null)?.code === "string") {
        throw asOtaError(err, "OTA_ERR_BOOT_AUTOBOOT_INVALID", `read ${store.location}`);
      }
      throw err;
    }
    return { dt, layout, store, text };
  }

  private async readDeviceTree(): Promise<DeviceTreeFacts> {
    const partition = await this.readU32("partition");
    if (partition === undefined) {
      throw new OtaError("OTA_ERR_BOOT_DT_MISSING", `${DT_BOOTLOADER}/partition is missing or shorter than 4 bytes: not booted by the Raspberry Pi firmware?`, {
        details: { path: `${DT_BOOTLOADER}/partition` },
      });
    }
    return { partition, tryboot: (await this.readU32("tryboot")) ?? 0, capabilities: await this.readU32("capabilities") };
  }

  private async readU32(name: string): Promise<number | undefined> {
    const raw = await this.platform.fs.readFile(`${DT_BOOTLOADER}/${name}`).catch(() => undefined);
    return raw && raw.length >= 4 ? raw.readUInt32BE(0) : undefined;
  }

  /** Picks the autoboot.txt location by config: mounted file, raw partition, or whichever exists ("auto"). */
  private async store(layout: SlotLayout | undefined): Promise<AutobootStore> {
    const mode = this.config.bootconfig;
    const mounted = new MountedAutobootStore(this.platform, this.config.autobootPath);
    if (mode === "mounted") return mounted;
    if (mode === "auto" && (await this.platform.fs.exists(this.config.autobootPath))) return mounted;
    // Mounted but the file is missing: never write sectors under a mounted file system (the kernel's cache would
    // overwrite them); the mounted store reports the missing file and commit can create it.
    if (mode === "auto" && (await this.isMountPoint(posix.dirname(this.config.autobootPath)))) return mounted;
    const device = this.config.bootconfigDevice ?? layout?.bootconfig ?? "/dev/disk/by-slot/bootconfig";
    if (mode === "auto" && !(await this.platform.fs.exists(device))) {
      throw new OtaError(
        "OTA_ERR_BOOT_AUTOBOOT_MISSING",
        `neither ${this.config.autobootPath} nor the bootconfig partition ${device} exists: mount /bootfs or set plugins.bootloader-tryboot.bootconfigDevice`,
        { details: { autobootPath: this.config.autobootPath, device } },
      );
    }
    return new RawAutobootStore(this.platform, device, this.log);
  }

  /** True when /proc/self/mountinfo lists `dir` as a mount point (mount point is the 5th field, octal-escaped). */
  private async isMountPoint(dir: string): Promise<boolean> {
    const info = await this.platform.fs.readText("/proc/self/mountinfo").catch(() => undefined);
    if (!info) return false;
    return info.split("\n").some((line) => unescapeMount(line.split(" ")[4] ?? "") === dir);
  }

  /** Writes the choice unless the file already says it. Returns whether it wrote. */
  private async writeChoice(
    snap: Pick<Snapshot, "store" | "text">,
    choice: { committed: number; tryboot: number },
    step: "arm" | "disarm" | "commit",
  ): Promise<boolean> {
    const { store, text } = snap;
    const desired = renderAutoboot(choice, text ?? "");
    if (text !== undefined && withoutPadding(text) === desired) return false;
    if (Buffer.byteLength(desired, "latin1") > AUTOBOOT_MAX_BYTES) {
      throw new OtaError(
        "OTA_ERR_BOOT_AUTOBOOT_TOO_LARGE",
        `${store.location} would be ${Buffer.byteLength(desired)} bytes, over the firmware's ${AUTOBOOT_MAX_BYTES}: remove foreign lines from it`,
        { details: { location: store.location, bytes: Buffer.byteLength(desired) } },
      );
    }
    this.platform.checkpoint(`tryboot:${step}:before-write`);
    await store.write(desired);
    this.platform.checkpoint(`tryboot:${step}:written`);
    return true;
  }
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The raw store pads with newlines; they carry no meaning. */
function withoutPadding(text: string): string {
  return text.replace(/\n+$/, "\n");
}
