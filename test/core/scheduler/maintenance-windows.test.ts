// Maintenance windows: open spans in a time zone (across daylight saving), the wait until the next one, bad specs.
import { describe, expect, it } from "vitest";
import { isOtaError } from "../../../core/errors/index.js";
import { MaintenanceWindows } from "../../../core/scheduler/maintenance-windows.js";

const at = (iso: string): number => Date.parse(iso);

describe("MaintenanceWindows", () => {
  it("opens 02:00-04:00 Berlin time in winter (CET) and in summer (CEST)", async () => {
    const w = await MaintenanceWindows.parse([{ cron: "0 2 * * *", durationMinutes: 120, timeZone: "Europe/Berlin" }]);
    // Winter: 02:00 CET = 01:00 UTC.
    expect(w.isOpen(at("2026-01-15T00:59:59Z"))).toBe(false);
    expect(w.isOpen(at("2026-01-15T01:00:00Z"))).toBe(true);
    expect(w.isOpen(at("2026-01-15T02:59:59Z"))).toBe(true);
    expect(w.isOpen(at("2026-01-15T03:00:00Z"))).toBe(false);
    // Summer: 02:00 CEST = 00:00 UTC.
    expect(w.isOpen(at("2026-07-15T00:30:00Z"))).toBe(true);
    expect(w.isOpen(at("2026-07-15T02:30:00Z"))).toBe(false);
    expect(w.openAt(at("2026-07-15T00:30:00Z"))?.closesAt).toBe(at("2026-07-15T02:00:00Z"));
  });

  it("tells how long until the next window opens", async () => {
    const w = await MaintenanceWindows.parse([{ cron: "0 2 * * *", durationMinutes: 120, timeZone: "Europe/Berlin" }]);
    expect(w.msUntilOpen(at("2026-01-15T03:00:00Z"))).toBe(22 * 3_600_000);
    expect(w.msUntilOpen(at("2026-01-15T01:30:00Z"))).toBe(0);
  });

  it("takes the union of several windows, UTC by default", async () => {
    const w = await MaintenanceWindows.parse([
      { cron: "0 2 * * *", durationMinutes: 60 },
      { cron: "30 12 * * 6", durationMinutes: 30 },
    ]);
    expect(w.isOpen(at("2026-11-21T12:45:00Z"))).toBe(true); // a Saturday
    expect(w.isOpen(at("2026-11-20T12:45:00Z"))).toBe(false); // a Friday
    expect(w.isOpen(at("2026-11-20T02:15:00Z"))).toBe(true);
  });

  it("is always open when none is configured", async () => {
    const w = await MaintenanceWindows.parse([]);
    expect(w.isOpen(0)).toBe(true);
    expect(w.msUntilOpen(0)).toBe(0);
  });

  it.each([
    ["cron-with-four-fields", { cron: "0 2 * *", durationMinutes: 60 }],
    ["time-zone-unknown", { cron: "0 2 * * *", durationMinutes: 60, timeZone: "Mars/Olympus_Mons" }],
    ["duration-zero", { cron: "0 2 * * *", durationMinutes: 0 }],
  ])("%s is OTA_ERR_SCHEDULE_INVALID naming the entry", async (_name, spec) => {
    const err = await MaintenanceWindows.parse([spec]).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SCHEDULE_INVALID")).toBe(true);
    expect((err as Error).message).toContain("schedule.maintenanceWindows[0]");
  });
});
