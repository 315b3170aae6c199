// Boot-time self-check of the boot choice with no deployment in progress: repair a broken file, disarm a stray trial.
//
// Why: the state machine reads the boot state only while a deployment runs, so a corrupted autoboot.txt (a power cut
// in a FAT write, SD wear) or a trial armed behind the agent's back (rpi-image-gen ships the file armed; any
// `reboot "0 tryboot"` would then start an untested slot) would stay until the next update trips over it.
// Invariants: nothing is written while a deployment is in progress or during a trial boot (the deployment, or the
// next plain reboot, owns the boot choice then); booted ≠ committed outside a trial is reported, never "fixed" —
// the agent cannot tell which slot the operator wants.
import type { BootState, Bootloader } from "../capabilities/bootloader.js";
import type { SlotName } from "../capabilities/slot-resolver.js";
import { asOtaError, isOtaError } from "../errors/index.js";
import { EVENTS } from "../logging/event-ids.js";
import type { Logger } from "../logging/logger.js";
import { isPlatformHalt } from "./halt.js";

/** What the check found and did (`status --json` shows it as `bootCheck`; with dryRun, what it would do). */
export type BootCheckResult =
  | { action: "skipped"; reason: "no-bootloader" | "deployment-in-progress" | "record-unreadable" | "trial-boot" }
  | { action: "ok"; booted: SlotName }
  /** autoboot.txt was rewritten as the booted slot's disarmed default (dryRun: "repair-needed"). */
  | { action: "repaired" | "repair-needed"; booted?: SlotName; fault: string }
  /** A trial was armed with no deployment in progress and was disarmed (dryRun: "disarm-needed"). */
  | { action: "disarmed" | "disarm-needed"; booted: SlotName; armed: SlotName }
  /** The firmware started a slot other than the committed one, outside a trial: reported, left alone. */
  | { action: "booted-not-committed"; booted: SlotName; committed: SlotName }
  | { action: "error"; code: string; message: string };

/** The runner as the check needs it: is a deployment in progress? (DeploymentRunner; tests pass a fake). */
export interface BootCheckRunner {
  current(): Promise<unknown>;
}

/** state() errors that mean "the file is broken", which `Bootloader.repair` may fix. */
const REPAIRABLE: ReadonlySet<string> = new Set(["OTA_ERR_BOOT_AUTOBOOT_MISSING", "OTA_ERR_BOOT_AUTOBOOT_INVALID"]);

/**
 * Runs the check once (daemon start, `ota-agent resume` with nothing pending). Never throws for a fault it finds:
 * the result says what happened; only a platform halt (a reboot or power cut) passes through. With `dryRun` it
 * writes nothing and logs nothing (`status`).
 */
export async function checkBootState(
  runner: BootCheckRunner,
  bootloader: Bootloader | undefined,
  log: Logger,
  options: { dryRun?: boolean } = {},
): Promise<BootCheckResult> {
  const dry = options.dryRun === true;
  if (!bootloader) return { action: "skipped", reason: "no-bootloader" };
  try {
    let pending: unknown;
    try {
      pending = await runner.current();
    } catch (err) {
      if (isPlatformHalt(err)) throw err;
      // Unknown whether a deployment is under way: touching the boot choice could undo its trial. Leave it.
      return { action: "skipped", reason: "record-unreadable" };
    }
    if (pending) return { action: "skipped", reason: "deployment-in-progress" };

    let state: BootState;
    try {
      state = await bootloader.state();
    } catch (err) {
      if (!isOtaError(err) || !REPAIRABLE.has(err.code)) throw err;
      if (dry) return { action: "repair-needed", fault: err.code };
      if (!bootloader.repair) throw err;
      const booted = await bootloader.repair();
      if (booted === undefined) {
        // Readable again (another writer fixed it between the two reads): check it as usual.
        state = await bootloader.state();
      } else {
        log.warn(
          { event: EVENTS.bootCheckAutobootRepaired, booted, fault: err.code },
          `boot check: the boot choice was broken (${err.code}: ${err.message}); rewritten with the running slot ${booted} as the disarmed default`,
        );
        return { action: "repaired", booted, fault: err.code };
      }
    }

    if (state.trial) {
      if (!dry) {
        log.warn(
          { event: EVENTS.bootCheckTrialWithoutDeployment, booted: state.booted, committed: state.committed },
          `boot check: slot ${state.booted} runs as a trial but no deployment is in progress; leaving the boot choice alone (a plain reboot starts the committed slot ${state.committed})`,
        );
      }
      return { action: "skipped", reason: "trial-boot" };
    }
    if (state.armed !== null) {
      if (dry) return { action: "disarm-needed", booted: state.booted, armed: state.armed };
      await bootloader.disarm();
      log.warn(
        { event: EVENTS.bootCheckStrayTrialDisarmed, booted: state.booted, committed: state.committed, armed: state.armed },
        `boot check: a trial of slot ${state.armed} was armed with no deployment in progress; disarmed (a "0 tryboot" reboot now starts the committed slot ${state.committed})`,
      );
      // Disarming leaves [all] as it was: a booted ≠ committed fault below is still reported.
      if (state.booted === state.committed) return { action: "disarmed", booted: state.booted, armed: state.armed };
    }
    if (state.booted !== state.committed) {
      if (!dry) {
        log.error(
          { event: EVENTS.bootCheckBootedNotCommitted, booted: state.booted, committed: state.committed },
          `boot check: slot ${state.booted} runs but slot ${state.committed} is the committed default, outside a trial (the firmware fell back, or someone rebooted into partition N); left alone: commit one of them (ota-agent install, or rewrite autoboot.txt)`,
        );
      }
      return { action: "booted-not-committed", booted: state.booted, committed: state.committed };
    }
    if (!dry) log.debug({ event: EVENTS.bootCheckOk, booted: state.booted }, `boot check: slot ${state.booted} booted and committed, nothing armed`);
    return { action: "ok", booted: state.booted };
  } catch (err) {
    if (isPlatformHalt(err)) throw err;
    const e = asOtaError(err, "OTA_ERR_INTERNAL", "boot check");
    if (!dry) log.error({ event: EVENTS.bootCheckFailed, code: e.code }, `boot check failed: ${e.message}`);
    return { action: "error", code: e.code, message: e.message };
  }
}

/** One line for people (`ota-agent resume`), or undefined when there is nothing worth saying. */
export function describeBootCheck(result: BootCheckResult): string | undefined {
  switch (result.action) {
    case "repaired":
      return `boot check: autoboot.txt was broken (${result.fault}); rewritten with slot ${result.booted ?? "?"} as the default`;
    case "disarmed":
      return `boot check: a stray trial of slot ${result.armed} was disarmed`;
    case "booted-not-committed":
      return `boot check: slot ${result.booted} runs but slot ${result.committed} is committed (left alone)`;
    case "error":
      return `boot check failed: ${result.code}: ${result.message}`;
    default:
      return undefined;
  }
}
