// The Mender backoff (mender.md §2.6): 60 s steps used three times each, doubling to the cap, then giving up.
import { describe, expect, it } from "vitest";
import { OtaError } from "../../../core/errors/index.js";
import { backoffDelayMs, delayAfterFailureMs, isTransientServerError } from "../../../plugins/server-mender/poll-policy.js";
import { parseRetryAfter } from "../../../core/net/http-exchange.js";

const seq = (retryPollIntervalMs: number, retryPollCount: number, n: number): (number | null)[] =>
  Array.from({ length: n }, (_, i) => backoffDelayMs(i + 1, { retryPollIntervalMs, retryPollCount }));

describe("backoff", () => {
  it("default-300s-cap: 60×3, 120×3, 240×3, 300×3, then gives up", () => {
    expect(seq(300_000, 0, 13)).toEqual([
      60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 240_000, 240_000, 240_000, 300_000, 300_000, 300_000, null,
    ]);
  });

  it("cap-equal-to-a-step: 240 s cap is used three times then gives up", () => {
    expect(seq(240_000, 0, 10)).toEqual([60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 240_000, 240_000, 240_000, null]);
  });

  it("cap-below-one-minute: a fixed interval", () => {
    expect(seq(30_000, 0, 4)).toEqual([30_000, 30_000, 30_000, null]);
  });

  it("retry-count-bounds-tries: stays at the cap until the count is used up", () => {
    expect(seq(120_000, 8, 9)).toEqual([60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 120_000, 120_000, null]);
  });

  it("retry-after-wins-then-regular-interval", () => {
    const policy = { updatePollIntervalMs: 1_800_000, inventoryPollIntervalMs: 28_800_000, retryPollIntervalMs: 300_000, retryPollCount: 0 };
    const limited = new OtaError("OTA_ERR_SERVER_RATE_LIMITED", "x", { details: { retryAfterMs: 5000 } });
    expect(delayAfterFailureMs(limited, 12, policy, 1_800_000)).toBe(5000);
    expect(delayAfterFailureMs(new Error("x"), 13, policy, 1_800_000)).toBe(1_800_000);
  });

  it("transient-classification: 5xx, 429 and network faults retry; 4xx and auth do not", () => {
    expect(isTransientServerError(new OtaError("OTA_ERR_SERVER_STATUS", "x", { details: { status: 502 } }))).toBe(true);
    expect(isTransientServerError(new OtaError("OTA_ERR_SERVER_STATUS", "x", { details: { status: 400 } }))).toBe(false);
    expect(isTransientServerError(new OtaError("OTA_ERR_SERVER_TIMEOUT", "x"))).toBe(true);
    expect(isTransientServerError(new OtaError("OTA_ERR_SERVER_UNAUTHORIZED", "x"))).toBe(false);
  });

  it("retry-after-parsing: seconds, HTTP date, garbage", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
