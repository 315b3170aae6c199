// The two ways the simulated device stops code mid-flight: a power cut and a reboot that has begun.
import { PLATFORM_HALT } from "../../core/state-machine/halt.js";

/** Thrown where power was cut (an armed checkpoint or write); nothing after it ran on the device. */
export class SimPowerCut extends Error {
  /** Marks the throw as "the device stopped" for core (halt.ts): it passes through every catch of the machine. */
  readonly [PLATFORM_HALT] = true;
  /** The checkpoint name or "write #N" where the cut struck. */
  readonly at: string;
  constructor(at: string) {
    super(`simulated power cut at ${at}`);
    this.name = "SimPowerCut";
    this.at = at;
  }
}

/** Thrown by `reboot()` (and by any later call on a platform of a boot that has ended): the OS is going down. */
export class SimHalt extends Error {
  /** Marks the throw as "the device stopped" for core (halt.ts). */
  readonly [PLATFORM_HALT] = true;
  readonly reason: string;
  constructor(reason: string) {
    super(`simulated device halted: ${reason}`);
    this.name = "SimHalt";
    this.reason = reason;
  }
}

/**
 * The SimPowerCut or SimHalt behind `err` — itself or anywhere in its `cause` chain, since code that wraps errors
 * (OtaError with cause) must not hide that the device stopped — else undefined.
 */
export function simStopOf(err: unknown): SimPowerCut | SimHalt | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 16; depth++) {
    if (e instanceof SimPowerCut || e instanceof SimHalt) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the device stopped (power cut or reboot) behind `err`, wrapped or not. */
export function isSimStop(err: unknown): boolean {
  return simStopOf(err) !== undefined;
}
