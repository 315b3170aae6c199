// Tells "the device is going down" apart from an error: such throws must pass through every catch of the machine.

/**
 * A Platform may end the agent mid-call: after `reboot()` (nothing runs after a reboot on a device) or at a
 * simulated power cut in `checkpoint()`. Those throws are not failures of the step and must never be caught and
 * turned into a Failure event, or the machine would "continue" on a device that is off. A Platform marks them
 * with this symbol set to true; the simulator's SimHalt / SimPowerCut are recognised by name as well.
 */
export const PLATFORM_HALT = Symbol.for("ota-agent.platform-halt");

const HALT_NAMES = new Set(["SimHalt", "SimPowerCut"]);

export function isPlatformHalt(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  if ((err as Record<symbol, unknown>)[PLATFORM_HALT] === true) return true;
  return HALT_NAMES.has((err as { name?: unknown }).name as string);
}

/** Re-throws platform halts; call first in every catch that turns errors into values. */
export function rethrowIfHalt(err: unknown): void {
  if (isPlatformHalt(err)) throw err;
}
