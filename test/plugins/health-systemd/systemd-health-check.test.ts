// health-systemd on the simulated device: healthy, degraded, required units, still starting, deadline, abort.
import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../../../core/capabilities/platform.js";
import { silentLogger } from "../../../core/logging/create-logger.js";
import { HealthSystemdConfigSchema, type HealthSystemdConfig } from "../../../plugins/health-systemd/manifest.js";
import { SystemdHealthCheck } from "../../../plugins/health-systemd/systemd-health-check.js";
import { SimDevice, type SimDeviceOptions } from "../../sim/index.js";

const devices: SimDevice[] = [];
async function device(options: SimDeviceOptions = {}): Promise<SimDevice> {
  const d = await SimDevice.create(options);
  devices.push(d);
  return d;
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

/** A clock whose sleeps take no wall time; `onSleep` runs at each one (to change the device between polls). */
function fakeClock(onSleep: (n: number) => Promise<void> = async () => undefined): Clock & { sleeps: number } {
  let t = 0;
  const clock = {
    sleeps: 0,
    now: () => 1_700_000_000_000 + t,
    monotonic: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      t += ms;
      clock.sleeps++;
      await onSleep(clock.sleeps);
    },
  };
  return clock;
}

function check(d: SimDevice, config: Partial<HealthSystemdConfig> = {}, clock?: Clock): SystemdHealthCheck {
  return new SystemdHealthCheck(d.platform(clock ? { clock } : {}), silentLogger(), HealthSystemdConfigSchema.parse(config));
}

const run = (c: SystemdHealthCheck) => c.check(new AbortController().signal);

describe("health-systemd", () => {
  it("a system that came up running with its units active is healthy", async () => {
    const d = await device();
    expect(await run(check(d, { units: ["ota-agent.service", "sim-app"] }))).toEqual({ ok: true });
  });

  it("trial-degraded: a failed unit fails the check and names the unit", async () => {
    const d = await device({ slotA: { version: "v1", behaviour: "unhealthy" } });
    const r = await run(check(d));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/degraded.*sim-app\.service/);
  });

  it("acceptDegraded lets a degraded system pass, but a required unit that failed still fails", async () => {
    const d = await device({ slotA: { version: "v1", behaviour: "unhealthy" } });
    expect(await run(check(d, { acceptDegraded: true }))).toEqual({ ok: true });
    expect(await run(check(d, { acceptDegraded: true, units: ["sim-app.service"] }))).toEqual({
      ok: false,
      reason: "unit sim-app.service is failed",
    });
  });

  it("required-unit-missing: a unit systemd does not know is not active", async () => {
    const d = await device();
    expect(await run(check(d, { units: ["nginx.service"] }))).toEqual({ ok: false, reason: "unit nginx.service is inactive" });
  });

  it("waits while systemd is still starting, then passes once it is running", async () => {
    const d = await device();
    await d.setSystemd({ state: "starting", units: { "app.service": "activating" } });
    const clock = fakeClock(async (n) => {
      if (n === 2) await d.setSystemd({ state: "running" });
      if (n === 4) await d.setSystemd({ units: { "app.service": "active" } });
    });
    expect(await run(check(d, { units: ["app.service"] }, clock))).toEqual({ ok: true });
    expect(clock.sleeps).toBe(4);
  });

  it("trial-never-settles: still starting at the deadline is unhealthy", async () => {
    const d = await device();
    await d.setSystemd({ state: "starting" });
    const clock = fakeClock();
    const r = await run(check(d, { deadlineMs: 10_000, pollIntervalMs: 1_000 }, clock));
    expect(r).toEqual({ ok: false, reason: 'systemd is still "starting" after 10000 ms' });
    expect(clock.sleeps).toBe(10);
  });

  it("maintenance or an offline systemd is unhealthy", async () => {
    const d = await device();
    await d.setSystemd({ state: "maintenance" });
    expect((await run(check(d))).reason).toBe('systemd reports the system "maintenance"');
  });

  it("an aborted signal stops the polling with the caller's reason", async () => {
    const d = await device();
    await d.setSystemd({ state: "starting" });
    const ac = new AbortController();
    const clock = fakeClock(async (n) => {
      if (n === 3) ac.abort(new Error("health deadline"));
    });
    await expect(check(d, {}, clock).check(ac.signal)).rejects.toThrow("health deadline");
  });

  it("rejects unit names that could be read as options", () => {
    expect(HealthSystemdConfigSchema.safeParse({ units: ["--force"] }).success).toBe(false);
    expect(HealthSystemdConfigSchema.safeParse({ units: ["getty@tty1.service"] }).success).toBe(true);
  });
});
