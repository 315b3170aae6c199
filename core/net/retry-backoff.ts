// Retry backoff after failed server calls (Mender's 4.x algorithm, mender.md §2.6), shared by the scheduler and servers.
import type { ServerPollPolicy } from "../capabilities/deployment-server.js";
import { isOtaError } from "../errors/index.js";

/** The smallest backoff step. */
const BACKOFF_UNIT_MS = 60_000;
/** Each backoff interval is used this many times before it doubles. */
const USES_PER_INTERVAL = 3;

/**
 * Delay before retry number `failures` (1 = after the first failure), or null when the backoff gives up and the
 * regular interval applies again: 60 s, each interval used 3 times then doubled, capped at the retry interval;
 * with retryPollCount 0 it gives up after the cap's 3 uses, with N > 0 after N tries (staying at the cap). A cap
 * below 60 s is a fixed interval.
 */
export function backoffDelayMs(failures: number, policy: Pick<ServerPollPolicy, "retryPollIntervalMs" | "retryPollCount">): number | null {
  if (!Number.isInteger(failures) || failures < 1) return null;
  const cap = policy.retryPollIntervalMs;
  if (policy.retryPollCount > 0 && failures > policy.retryPollCount) return null;
  let interval = Math.min(BACKOFF_UNIT_MS, cap);
  let usedBefore = 0; // tries served by smaller intervals
  while (interval < cap) {
    if (failures <= usedBefore + USES_PER_INTERVAL) return interval;
    usedBefore += USES_PER_INTERVAL;
    interval = Math.min(interval * 2, cap);
  }
  // At the cap: three more uses, unless a retry count bounds the tries instead.
  if (policy.retryPollCount === 0 && failures > usedBefore + USES_PER_INTERVAL) return null;
  return cap;
}

/** A server-requested delay on the error (429 Retry-After, 503): `details.retryAfterMs`. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!isOtaError(error)) return undefined;
  const ms = error.details["retryAfterMs"];
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** When to retry after `failures` consecutive failures: Retry-After first, then the backoff, then `regularMs`. */
export function delayAfterFailureMs(error: unknown, failures: number, policy: ServerPollPolicy, regularMs: number): number {
  return retryAfterOf(error) ?? backoffDelayMs(failures, policy) ?? regularMs;
}
