// hawkBit's polling sleep: HH:MM:SS below a day, ISO-8601 durations above.
import { describe, expect, it } from "vitest";
import { parsePollSleep } from "../../../plugins/server-hawkbit/poll-sleep.js";

describe("parsePollSleep", () => {
  it("hh-mm-ss", () => {
    expect(parsePollSleep("00:05:00")).toBe(300_000);
    expect(parsePollSleep("23:59:59")).toBe(86_399_000);
    expect(parsePollSleep("00:00:30")).toBe(30_000);
  });
  it("iso-8601-durations", () => {
    expect(parsePollSleep("P1D")).toBe(86_400_000);
    expect(parsePollSleep("P1DT2H30M")).toBe(95_400_000);
    expect(parsePollSleep("PT45S")).toBe(45_000);
    expect(parsePollSleep("P2W")).toBe(1_209_600_000);
    expect(parsePollSleep("PT0.5S")).toBe(500);
  });
  it("garbage-is-ignored", () => {
    for (const bad of ["", "P", "PT", "5 minutes", "00:61:00", "1:2", null, 300]) expect(parsePollSleep(bad)).toBeUndefined();
  });
});
