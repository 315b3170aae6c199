// Poll delays: the regular interval with jitter; the retry backoff after failures lives in core/net/retry-backoff.
import type { ServerPollPolicy } from "../capabilities/deployment-server.js";

/** Mender's defaults (mender.conf), used when the server plugin gives no policy (the self-update source). */
export const DEFAULT_POLL_POLICY: ServerPollPolicy = {
  updatePollIntervalMs: 1_800_000,
  inventoryPollIntervalMs: 28_800_000,
  retryPollIntervalMs: 300_000,
  retryPollCount: 0,
};

/**
 * `ms` stretched by a random 0..percent (never shortened: a server's minimum interval stays respected). Devices
 * powered on together (a site's power returning) drift apart instead of polling in step forever.
 */
export function withJitter(ms: number, percent: number, random: () => number = Math.random): number {
  if (percent <= 0 || ms <= 0) return ms;
  return Math.round(ms * (1 + (percent / 100) * random()));
}

export { backoffDelayMs, delayAfterFailureMs, retryAfterOf } from "../net/retry-backoff.js";
