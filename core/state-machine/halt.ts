// Tells "the device is going down" apart from an error: such throws must pass through every catch of the machine.

/**
 * A Platform may end the agent mid-call: after `reboot()` (nothing runs after a reboot on a device) or at a
 * simulated power cut in `checkpoint()`. Those throws are not failures of the step and must never be caught and
 * turned into a Failure event, or the machine would "continue" on a device that is off. A Platform marks them
 * with this symbol set to true (the simulator's SimHalt / SimPowerCut, the daemon's stop reason do).
 */
export const PLATFORM_HALT = Symbol.for("ota-agent.platform-halt");

/** How deep a `cause` chain is followed (code that wraps errors must not hide that the device stopped). */
const MAX_CAUSE_DEPTH = 16;

export function isPlatformHalt(err: unknown): boolean {
  let e = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof e === "object" && e !== null; depth++) {
    if ((e as Record<symbol, unknown>)[PLATFORM_HALT] === true) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Re-throws platform halts; call first in every catch that turns errors into values. */
export function rethrowIfHalt(err: unknown): void {
  if (isPlatformHalt(err)) throw err;
}
