// Maintenance windows: cron-opened spans (in a time zone) in which installing may start.
import type { Cron } from "croner";
import { OtaError } from "../errors/index.js";

export interface MaintenanceWindowSpec {
  cron: string;
  durationMinutes: number;
  timeZone?: string;
}

interface Window {
  spec: MaintenanceWindowSpec;
  cron: Cron;
  durationMs: number;
}

/**
 * A window opens at each time its cron pattern fires and stays open for its duration. Time zones follow the IANA
 * rules at each date (croner), so "0 2 * * *" in Europe/Berlin stays 02:00 local across daylight-saving changes.
 * No windows configured = always open.
 */
export class MaintenanceWindows {
  private constructor(private readonly windows: readonly Window[]) {}

  /** Checks every pattern and zone now, so a typo stops the daemon at start, not at the first install. */
  static async parse(specs: readonly MaintenanceWindowSpec[], what = "schedule.maintenanceWindows"): Promise<MaintenanceWindows> {
    if (specs.length === 0) return new MaintenanceWindows([]);
    const { Cron } = await import("croner");
    const windows = specs.map((spec, i) => {
      if (!(spec.durationMinutes > 0)) {
        throw new OtaError("OTA_ERR_SCHEDULE_INVALID", `${what}[${i}]: durationMinutes must be positive`, { details: { index: i } });
      }
      try {
        const cron = new Cron(spec.cron, { ...(spec.timeZone ? { timezone: spec.timeZone } : { timezone: "Etc/UTC" }), paused: true });
        // A zone is only resolved when a date is computed: do it once here.
        cron.nextRun(new Date(0));
        return { spec, cron, durationMs: spec.durationMinutes * 60_000 };
      } catch (err) {
        throw new OtaError("OTA_ERR_SCHEDULE_INVALID", `${what}[${i}]: cron "${spec.cron}"${spec.timeZone ? ` in ${spec.timeZone}` : ""}: ${(err as Error).message}`, {
          cause: err,
          details: { index: i, cron: spec.cron, timeZone: spec.timeZone },
        });
      }
    });
    return new MaintenanceWindows(windows);
  }

  get configured(): boolean {
    return this.windows.length > 0;
  }

  /** The window open at `nowMs` with the latest close, or undefined. */
  openAt(nowMs: number): { closesAt: number; spec: MaintenanceWindowSpec } | undefined {
    let best: { closesAt: number; spec: MaintenanceWindowSpec } | undefined;
    for (const w of this.windows) {
      // Open now ⇔ the pattern fired within the last `duration`: the first firing after (now - duration) is ≤ now.
      const opened = w.cron.nextRun(new Date(nowMs - w.durationMs));
      if (opened && opened.getTime() <= nowMs) {
        const closesAt = opened.getTime() + w.durationMs;
        if (!best || closesAt > best.closesAt) best = { closesAt, spec: w.spec };
      }
    }
    return best;
  }

  isOpen(nowMs: number): boolean {
    return !this.configured || this.openAt(nowMs) !== undefined;
  }

  /** Milliseconds until some window is open (0 when one is), or undefined when none ever opens again. */
  msUntilOpen(nowMs: number): number | undefined {
    return this.isOpen(nowMs) ? 0 : this.msUntilNextStart(nowMs);
  }

  /** Milliseconds until the next opening of any window (strictly after `nowMs`), or undefined when none comes. */
  msUntilNextStart(nowMs: number): number | undefined {
    let soonest: number | undefined;
    for (const w of this.windows) {
      const next = w.cron.nextRun(new Date(nowMs));
      if (next && (soonest === undefined || next.getTime() < soonest)) soonest = next.getTime();
    }
    return soonest === undefined ? undefined : Math.max(0, soonest - nowMs);
  }

  /** "0 2 * * * for 120 min (Europe/Berlin)" lines, for logs and the pause reason. */
  describe(): string {
    return this.windows.map((w) => `${w.spec.cron} for ${w.spec.durationMinutes} min (${w.spec.timeZone ?? "UTC"})`).join("; ");
  }
}
