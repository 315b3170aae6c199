// Mender's polling intervals and retry backoff (mender.md §2.6), as pure functions the scheduler and the client share.
import type { ServerPollPolicy } from "../../core/capabilities/deployment-server.js";
import { isOtaError } from "../../core/errors/index.js";

/** The four mender.conf knobs, in milliseconds (counts stay counts); see ServerPollPolicy. */
export type PollPolicy = ServerPollPolicy;

/** The retry backoff is core's (core/net/retry-backoff.ts): the scheduler and this client must agree on it. */
export { backoffDelayMs, delayAfterFailureMs } from "../../core/net/retry-backoff.js";

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
