// Poll delays: the regular interval with jitter, and the retry backoff after failures (Mender's 4.x algorithm).
import type { ServerPollPolicy } from "../capabilities/deployment-server.js";
import { isOtaError } from "../errors/index.js";

/** Mender's defaults (mender.conf), used when the server plugin gives no policy (the self-update source). */
export const DEFAULT_POLL_POLICY: ServerPollPolicy = {
  updatePollIntervalMs: 1_800_000,
  inventoryPollIntervalMs: 28_800_000,
  retryPollIntervalMs: 300_000,
  retryPollCount: 0,
};

/** The smallest backoff step. */
const BACKOFF_UNIT_MS = 60_000;
/** Each backoff interval is used this many times before it doubles. */
const USES_PER_INTERVAL = 3;

/**
 * `ms` stretched by a random 0..percent (never shortened: a server's minimum interval stays respected). Devices
 * powered on together (a site's power returning) drift apart instead of polling in step forever.
 */
export function withJitter(ms: number, percent: number, random: () => number = Math.random): number {
  if (percent <= 0 || ms <= 0) return ms;
  return Math.round(ms * (1 + (percent / 100) * random()));
}

/**
 * Delay before retry number `failures` (1 = after the first failure), or null when the backoff gives up and the
 * regular interval applies again: 60 s, each interval used 3 times then doubled, capped at the retry interval;
 * with retryPollCount 0 it gives up after the cap's 3 uses, with N > 0 after N tries. A cap below 60 s is a fixed
 * interval. (mender.md §2.6; server plugins may bring their own via `retryDelayMs`.)
 */
export function backoffDelayMs(failures: number, policy: Pick<ServerPollPolicy, "retryPollIntervalMs" | "retryPollCount">): number | null {
  if (!Number.isInteger(failures) || failures < 1) return null;
  const cap = policy.retryPollIntervalMs;
  if (policy.retryPollCount > 0 && failures > policy.retryPollCount) return null;
  let interval = Math.min(BACKOFF_UNIT_MS, cap);
  let usedBefore = 0;
  while (interval < cap) {
    if (failures <= usedBefore + USES_PER_INTERVAL) return interval;
    usedBefore += USES_PER_INTERVAL;
    interval = Math.min(interval * 2, cap);
  }
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
