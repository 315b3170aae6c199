// The two ways the simulated device stops code mid-flight: a power cut and a reboot that has begun.

/** Thrown where power was cut (an armed checkpoint or write); nothing after it ran on the device. */
export class SimPowerCut extends Error {
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
  readonly reason: string;
  constructor(reason: string) {
    super(`simulated device halted: ${reason}`);
    this.name = "SimHalt";
    this.reason = reason;
  }
}

/** True for either way the device stopped: tests of code that must "never run after a reboot" use this. */
export function isSimStop(err: unknown): err is SimPowerCut | SimHalt {
  return err instanceof SimPowerCut || err instanceof SimHalt;
}
