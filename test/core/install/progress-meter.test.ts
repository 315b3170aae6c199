// ProgressMeter: the bytes/total/rate events a download reports, throttled, with a windowed rate.
import { describe, expect, it } from "vitest";
import { ProgressMeter } from "../../../core/install/sources/progress-meter.js";
import type { SourceProgress } from "../../../core/capabilities/artifact-source.js";
import type { Clock } from "../../../core/capabilities/platform.js";

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

describe("ProgressMeter", () => {
  it("reports bytes, total and a rate in bytes per second, at most every 200 ms, and once more on finish", () => {
    const clock = new ManualClock();
    const events: SourceProgress[] = [];
    const m = new ProgressMeter(clock, 10_000, (p) => events.push(p));
    m.add(1000); // t=0: first event
    clock.t = 100;
    m.add(1000); // throttled
    clock.t = 200;
    m.add(1000); // 2000 bytes in 0.2 s since the first sample
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ bytes: 3000, total: 10_000, rate: 10_000, resumes: 0 });
    clock.t = 250;
    m.resumes = 1;
    m.add(500);
    m.finish();
    expect(events.at(-1)).toEqual({ bytes: 3500, total: 10_000, rate: 10_000, resumes: 1 });
  });

  it("the rate follows the last ~2 s, not the average since the start", () => {
    const clock = new ManualClock();
    const events: SourceProgress[] = [];
    const m = new ProgressMeter(clock, undefined, (p) => events.push(p));
    // 10 s at 1 MB/s, then 3 s at 100 kB/s
    for (let t = 0; t <= 10_000; t += 200) {
      clock.t = t;
      m.add(200_000);
    }
    for (let t = 10_200; t <= 13_000; t += 200) {
      clock.t = t;
      m.add(20_000);
    }
    const last = events.at(-1)!;
    expect(last.total).toBeUndefined();
    expect(last.rate).toBeGreaterThan(90_000);
    expect(last.rate).toBeLessThan(110_000);
  });

  it("without a listener nothing is computed or reported, but bytes still count", () => {
    const m = new ProgressMeter(new ManualClock(), 5, undefined);
    m.add(5);
    m.finish();
    expect(m.bytes).toBe(5);
  });
});
