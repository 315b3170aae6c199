// The Raspberry Pi firmware model: reads autoboot.txt, honours the one-shot tryboot flag, and falls back on failure.
//
// Semantics modelled (reference/rpi-image-gen.md §3), and the assumptions where the documentation is silent:
// - The tryboot flag is set only by a reboot whose argument contains " tryboot" (leading space, as the kernel's
//   firmware driver checks). A leading partition number other than 0 in the argument ("3 tryboot", "2") overrides
//   boot_partition for that one boot. A power cut or power-on clears the flag; the firmware clears it before the
//   OS starts, so every later reset (panic, watchdog, plain reboot) reads autoboot.txt without it.
// - autoboot.txt is read up to its first 512 bytes. It is parsed like config.txt: lines apply in order while the
//   current filter matches; `[all]` always matches, `[tryboot]` only with the flag, `[none]` and any other filter
//   never; lines before any filter apply; `#` comments and blank lines are ignored; for a repeated key the last
//   applying line wins; a line that is not key=value, or a non-numeric boot_partition, is ignored.
// - ASSUMPTION (undocumented): a missing or unreadable autoboot.txt, or one with no applying boot_partition,
//   means boot_partition=0: the first partition holding an intact boot image (boot_a, p2, in these layouts).
// - ASSUMPTION: with the flag set but tryboot_a_b≠1 the firmware would look for tryboot.txt, which slot boot images
//   do not carry, so that boot fails and the firmware restarts without the flag.
// - A partition without an intact boot image is not bootable: the firmware restarts (flag already cleared).
// - The OS then reads the system marker of the paired system partition: no marker → the initramfs cannot find
//   by-slot/active/system and reboots; "panics" → reset (kernel `panic=`); "hangs" → a watchdog reset when the
//   device's watchdog is on, else the device stays hung until power-cycled; "boots"/"unhealthy" → up.
// - The firmware gives up after `maxAttempts` starts (a boot loop) and reports "hung".
import { parseBootMarker, parseSystemMarker, type SlotMarker } from "./slot-images.js";

/** What the firmware can read from the hardware. */
export interface FirmwareHardware {
  /** autoboot.txt from the bootconfig partition; undefined when missing or the FAT is unreadable. */
  readAutoboot(): Promise<Buffer | undefined>;
  /** The first bytes of partition N; undefined when it does not exist. */
  readPartitionHead(partition: number): Promise<Buffer | undefined>;
  /** The system partition paired with boot partition N; undefined when N is not a slot's boot partition. */
  systemPartitionFor(bootPartition: number): number | undefined;
  /** Highest partition number, for the boot_partition=0 scan. */
  readonly partitionCount: number;
}

export interface FirmwareOptions {
  watchdog: boolean;
  maxAttempts: number;
}

export interface FirmwareResult {
  outcome: "up" | "up-unhealthy" | "hung";
  /** The boot partition of the last start (0 when none could be chosen). */
  partition: number;
  /** The system partition paired with it. */
  systemPartition: number | undefined;
  /** True when the last start was a tryboot. */
  trial: boolean;
  marker: SlotMarker | undefined;
  bootLog: string[];
}

/** Settings that apply for one start, in config.txt order. */
export function autobootSettings(text: string, tryboot: boolean): Map<string, string> {
  const settings = new Map<string, string>();
  let applies = true;
  for (const raw of text.slice(0, 512).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const filter = /^\[([^\]]*)\]$/.exec(line);
    if (filter) {
      const name = (filter[1] ?? "").trim().toLowerCase();
      applies = name === "all" || (name === "tryboot" && tryboot);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0 || !applies) continue;
    settings.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return settings;
}

/** Runs starts until the OS is up, hung, or the firmware gives up. */
export async function runFirmware(
  hw: FirmwareHardware,
  rebootArg: string | undefined,
  options: FirmwareOptions,
): Promise<FirmwareResult> {
  const log: string[] = [];
  let flag = rebootArg !== undefined && rebootArg.includes(" tryboot");
  const argPartition = rebootArg === undefined ? 0 : Number.parseInt(rebootArg.trim().split(/\s+/)[0] ?? "", 10);
  let forced = Number.isInteger(argPartition) && argPartition > 0 ? argPartition : 0;
  log.push(rebootArg === undefined ? "power on" : `reboot "${rebootArg}"${flag ? " (tryboot flag set)" : ""}`);

  let last: FirmwareResult = { outcome: "hung", partition: 0, systemPartition: undefined, trial: false, marker: undefined, bootLog: log };
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    const trial = flag;
    const thisForced = forced;
    flag = false; // one-shot: cleared before anything can fail
    forced = 0;

    const autoboot = await hw.readAutoboot();
    if (autoboot === undefined) log.push("autoboot.txt: missing or unreadable");
    const settings = autobootSettings(autoboot?.toString("latin1") ?? "", trial);
    let partition = thisForced;
    if (partition === 0) {
      const n = Number(settings.get("boot_partition") ?? "0");
      partition = Number.isInteger(n) && n >= 0 ? n : 0;
    }
    if (partition === 0) {
      partition = await firstBootable(hw);
      log.push(`boot_partition=0: first bootable partition is ${partition || "none"}`);
    }
    const systemPartition = hw.systemPartitionFor(partition);
    last = { outcome: "hung", partition, systemPartition, trial, marker: undefined, bootLog: log };
    log.push(`firmware: start #${attempt}: partition ${partition}${trial ? " (tryboot)" : ""}`);

    if (trial && settings.get("tryboot_a_b") !== "1") {
      log.push("firmware: tryboot without tryboot_a_b=1 looks for tryboot.txt, which is absent: restart");
      continue;
    }
    const bootHead = partition > 0 ? await hw.readPartitionHead(partition) : undefined;
    if (!bootHead || !parseBootMarker(bootHead)) {
      log.push(`firmware: partition ${partition} holds no bootable image: restart`);
      continue;
    }
    const systemHead = systemPartition === undefined ? undefined : await hw.readPartitionHead(systemPartition);
    const marker = systemHead && parseSystemMarker(systemHead);
    if (!marker) {
      log.push(`initramfs: no valid system on partition ${systemPartition ?? "?"}: reboot`);
      continue;
    }
    last.marker = marker;
    if (marker.behaviour === "panics") {
      log.push(`kernel: ${marker.version} panics: reset`);
      continue;
    }
    if (marker.behaviour === "hangs") {
      if (options.watchdog) {
        log.push(`os: ${marker.version} hangs: watchdog reset`);
        continue;
      }
      log.push(`os: ${marker.version} hangs; no watchdog: the device stays hung until power-cycled`);
      return last;
    }
    last.outcome = marker.behaviour === "unhealthy" ? "up-unhealthy" : "up";
    log.push(`os: ${marker.version} up${marker.behaviour === "unhealthy" ? " (a unit failed)" : ""}`);
    return last;
  }
  log.push(`firmware: gave up after ${options.maxAttempts} starts (boot loop)`);
  return last;
}

async function firstBootable(hw: FirmwareHardware): Promise<number> {
  for (let p = 1; p <= hw.partitionCount; p++) {
    const head = await hw.readPartitionHead(p);
    if (head && parseBootMarker(head)) return p;
  }
  return 0;
}
