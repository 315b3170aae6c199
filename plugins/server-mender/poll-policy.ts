// Mender's polling intervals and retry backoff (mender.md §2.6), as pure functions the scheduler and the client share.
import type { ServerPollPolicy } from "../../core/capabilities/deployment-server.js";
import { isOtaError } from "../../core/errors/index.js";

/** The four mender.conf knobs, in milliseconds (counts stay counts); see ServerPollPolicy. */
export type PollPolicy = ServerPollPolicy;

/** The smallest backoff step of the Mender 4.x client. */
export const BACKOFF_UNIT_MS = 60_000;
/** Each interval is used this many times before it doubles. */
const USES_PER_INTERVAL = 3;

/**
 * Delay before retry number `failures` (1 = first retry after the first failure), or null when the backoff gives
 * up and the regular poll interval applies again.
 *
 * The sequence starts at 60 s, uses each interval 3 times, then doubles, capped at the retry interval; with
 * retryPollCount 0 it gives up once the cap has been used 3 times; with retryPollCount N it gives up after N tries and
 * otherwise stays at the cap. A retry interval below 60 s is used as a fixed interval.
 */
export function backoffDelayMs(failures: number, policy: Pick<PollPolicy, "retryPollIntervalMs" | "retryPollCount">): number | null {
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

/**
 * When to try again after a failed poll, inventory or status call: a server-given `Retry-After` (429, 503) wins,
 * else the backoff; when the backoff gives up, `regularMs` (the normal poll interval).
 */
export function delayAfterFailureMs(error: unknown, failures: number, policy: PollPolicy, regularMs: number): number {
  if (isOtaError(error)) {
    const retryAfter = error.details["retryAfterMs"];
    if (typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter;
  }
  return backoffDelayMs(failures, policy) ?? regularMs;
}

/** True for failures worth retrying (network, timeout, 5xx, 429); false for ones a retry cannot fix. */
export function isTransientServerError(error: unknown): boolean {
  if (!isOtaError(error)) return false;
  switch (error.code) {
    case "OTA_ERR_SERVER_UNREACHABLE":
    case "OTA_ERR_SERVER_TIMEOUT":
    case "OTA_ERR_SERVER_RATE_LIMITED":
      return error.details["aborted"] !== true;
    case "OTA_ERR_SERVER_STATUS": {
      const status = error.details["status"];
      return typeof status === "number" && status >= 500;
    }
    default:
      return false;
  }
}
