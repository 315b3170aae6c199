// Poll timing: Mender's backoff sequence, Retry-After winning over it, and jitter that never shortens an interval.
import { describe, expect, it } from "vitest";
import { OtaError } from "../../../core/errors/index.js";
import { DEFAULT_POLL_POLICY, backoffDelayMs, delayAfterFailureMs, withJitter } from "../../../core/scheduler/poll-timing.js";

const seq = (policy: { retryPollIntervalMs: number; retryPollCount: number }, n: number): (number | null)[] =>
  Array.from({ length: n }, (_, i) => backoffDelayMs(i + 1, policy));

describe("backoffDelayMs (mender.md §2.6)", () => {
  it("uses 60 s three times, doubles, stops at the cap after three uses, then gives up", () => {
    expect(seq({ retryPollIntervalMs: 300_000, retryPollCount: 0 }, 13)).toEqual([
      60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 240_000, 240_000, 240_000, 300_000, 300_000, 300_000, null,
    ]);
  });

  it("with a retry count bounds the tries instead and stays at the cap", () => {
    expect(seq({ retryPollIntervalMs: 120_000, retryPollCount: 8 }, 9)).toEqual([60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 120_000, 120_000, null]);
  });

  it("treats a cap below one minute as a fixed interval", () => {
    expect(seq({ retryPollIntervalMs: 1_000, retryPollCount: 0 }, 4)).toEqual([1_000, 1_000, 1_000, null]);
  });

  it("has no delay before the first failure", () => {
    expect(backoffDelayMs(0, DEFAULT_POLL_POLICY)).toBeNull();
  });
});

describe("delayAfterFailureMs", () => {
  it("server-rate-limited-retry-after-wins over the backoff", () => {
    const e = new OtaError("OTA_ERR_SERVER_RATE_LIMITED", "429", { details: { retryAfterMs: 42_000 } });
    expect(delayAfterFailureMs(e, 1, DEFAULT_POLL_POLICY, 1_800_000)).toBe(42_000);
  });

  it("falls back to the regular interval once the backoff gives up", () => {
    const e = new OtaError("OTA_ERR_SERVER_UNREACHABLE", "refused");
    expect(delayAfterFailureMs(e, 100, DEFAULT_POLL_POLICY, 1_800_000)).toBe(1_800_000);
  });
});

describe("withJitter", () => {
  it("stretches by at most the percentage and never shortens", () => {
    expect(withJitter(1000, 10, () => 0)).toBe(1000);
    expect(withJitter(1000, 10, () => 0.5)).toBe(1050);
    expect(withJitter(1000, 10, () => 0.999999)).toBe(1100);
    expect(withJitter(1000, 0, () => 0.9)).toBe(1000);
  });
});
