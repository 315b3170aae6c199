// The install policy hook: install now, wait for the device's window, or wait until the server releases the install.
import { describe, expect, it } from "vitest";
import type { Deployment, DeploymentServer, NothingToDo } from "../../../core/capabilities/deployment-server.js";
import type { Clock } from "../../../core/capabilities/platform.js";
import { isOtaError } from "../../../core/errors/index.js";
import { createInstallGate } from "../../../core/scheduler/install-gate.js";
import { MaintenanceWindows } from "../../../core/scheduler/maintenance-windows.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";

class StepClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const dep = (policy: Deployment["policy"]): Deployment => ({ id: "a-7", artifactName: "release-2", uri: "http://x/a", policy, server: "hawkbit" });
const installed = async () => ({ deviceType: "raspberrypi5", artifactName: "release-1", provides: {} });

describe("createInstallGate", () => {
  it("lets an install start at once with the default policy", async () => {
    const clock = new StepClock(Date.parse("2026-01-15T12:00:00Z"));
    const windows = await MaintenanceWindows.parse([{ cron: "0 2 * * *", durationMinutes: 60 }]);
    const gate = createInstallGate({ policy: "immediately", windows, clock, log: new MemoryLogger() });
    expect(await gate(dep({ download: "forced", update: "forced" }))).toBeUndefined();
  });

  it("in-window outside a window: pauses and waits until the window opens", async () => {
    const clock = new StepClock(Date.parse("2026-01-15T12:00:00Z"));
    const windows = await MaintenanceWindows.parse([{ cron: "0 2 * * *", durationMinutes: 60, timeZone: "Europe/Berlin" }]);
    const gate = createInstallGate({ policy: "in-window", windows, clock, log: new MemoryLogger() });
    const pause = await gate(dep({ download: "forced", update: "forced" }));
    expect(pause?.reason).toMatch(/outside the maintenance windows/);
    await pause!.wait(new AbortController().signal);
    // 12:00 UTC → 01:00 UTC next day (02:00 CET), slept in steps of at most 15 minutes.
    expect(clock.t).toBe(Date.parse("2026-01-16T01:00:00Z"));
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(15 * 60_000);
  });

  it("in-window inside a window installs at once", async () => {
    const clock = new StepClock(Date.parse("2026-01-15T01:30:00Z"));
    const windows = await MaintenanceWindows.parse([{ cron: "0 2 * * *", durationMinutes: 60, timeZone: "Europe/Berlin" }]);
    const gate = createInstallGate({ policy: "in-window", windows, clock, log: new MemoryLogger() });
    expect(await gate(dep({ download: "forced", update: "forced" }))).toBeUndefined();
  });

  it("hawkbit-window-unavailable: downloads, then asks the server until the window is available", async () => {
    const clock = new StepClock(0);
    const answers: (Deployment | NothingToDo)[] = [
      dep({ download: "forced", update: "skip", maintenanceWindow: "unavailable" }),
      dep({ download: "forced", update: "forced", maintenanceWindow: "available" }),
    ];
    const server = { nextDeployment: async () => answers.shift()! } as unknown as DeploymentServer;
    const windows = await MaintenanceWindows.parse([]);
    const gate = createInstallGate({ policy: "immediately", windows, clock, log: new MemoryLogger(), server, installed, serverRecheckMs: () => 30_000 });
    const d = dep({ download: "forced", update: "skip", maintenanceWindow: "unavailable" });
    const pause = await gate(d);
    expect(pause?.reason).toBe("the server's maintenance window is closed");
    await pause!.wait(new AbortController().signal);
    expect(clock.sleeps).toEqual([30_000, 30_000]);
    expect(d.policy.maintenanceWindow).toBe("available");
  });

  it("hawkbit-action-cancelled-while-waiting: the wait fails as aborted", async () => {
    const clock = new StepClock(0);
    const server = { nextDeployment: async () => ({ kind: "nothing" }) } as unknown as DeploymentServer;
    const gate = createInstallGate({ policy: "immediately", windows: await MaintenanceWindows.parse([]), clock, log: new MemoryLogger(), server, installed });
    const pause = await gate(dep({ download: "forced", update: "skip" }));
    const err = await pause!.wait(new AbortController().signal).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_STATE_ABORTED")).toBe(true);
  });
});
