// Install windows end to end: download any time, install only when the device's or the server's window allows.
import { describe, expect, it } from "vitest";
import { digest, hawkbitPlugin, menderPlugin, useE2E, waitFor } from "./daemon-harness.js";

// Waiting for a window (and asking hawkBit again) never produces a request the published documents reject (checked after each test).
const startE2E = useE2E();

describe("install windows with the daemon", () => {
  it("in-window outside the window: downloads, reports pause_before_installing, arms nothing", async () => {
    const t = await startE2E({
      server: { mender: { autoAccept: true } },
      config: (server) => ({
        plugins: menderPlugin(server, { updatePollIntervalSeconds: 1 }),
        // A window that opens once a year, for a minute: never during this test.
        schedule: { jitterPercent: 0, installPolicy: "in-window", maintenanceWindows: [{ cron: "0 3 1 1 *", durationMinutes: 1, timeZone: "Europe/Berlin" }] },
      }),
    });
    const file = await t.artifact({ name: "release-2", version: "v2" });
    const id = t.server.mender.createDeployment({ artifactName: "release-2", artifact: file, deviceTypes: [t.device.deviceType] });
    const d = t.daemon();
    await waitFor(`pause_before_installing\n${digest(d)}`, () => t.server.mender.statuses(id).includes("pause_before_installing"));
    const status = JSON.parse((await t.cli(["status", "--json"])).stdout) as { deployment: { state: string }; daemon: { phase: string } };
    expect(status.deployment.state).toBe("Download");
    expect(status.daemon.phase).toBe("deploying");
    expect(await d.stop()).toBe(0);
    expect(t.server.mender.statuses(id)).toEqual(["downloading", "pause_before_installing"]);
    expect(t.device.pendingReboot).toBeUndefined();
    const boot = await t.device.autoboot();
    expect(boot.committed).toBe("a");
    expect(boot.trial).toBe("a"); // disarmed: a tryboot would start the committed slot
  });

  it("hawkbit-window-unavailable: downloads, waits for the server's window, then installs and closes the action", async () => {
    const CONTROLLER = "pi-window-1";
    const TOKEN = "window-target-token-0123456789";
    const t = await startE2E({
      server: { hawkbit: { sleep: "00:00:01" } },
      config: (server) => ({ plugins: hawkbitPlugin(server, CONTROLLER, TOKEN) }),
    });
    t.server.hawkbit.addTarget(CONTROLLER, TOKEN);
    const file = await t.artifact({ name: "release-2", version: "v2" });
    const actionId = t.server.hawkbit.createAction({
      controllerId: CONTROLLER,
      artifacts: [{ filename: "release-2.mender", data: file }],
      version: "release-2",
      update: "skip",
      maintenanceWindow: "unavailable",
    });
    const first = t.daemon();
    await waitFor(`the downloaded feedback\n${digest(first)}`, () => t.server.hawkbit.feedbackSummary(actionId).includes("downloaded/none"));
    expect(t.device.pendingReboot).toBeUndefined();
    // The operator's window opens: the next poll of the action says install.
    const action = t.server.hawkbit.actions.get(actionId)!;
    action.maintenanceWindow = "available";
    action.update = "forced";
    await waitFor(`the reboot into the trial\n${digest(first)}`, () => t.device.pendingReboot !== undefined);
    expect(await first.stop()).toBe(0);
    await t.device.boot();
    const second = t.daemon();
    await waitFor(`closed/success\n${digest(second)}`, () => t.server.hawkbit.feedbackSummary(actionId).includes("closed/success"));
    expect(await second.stop()).toBe(0);
    expect(t.server.hawkbit.feedbackSummary(actionId)).toEqual(["download/none", "downloaded/none", "proceeding/none", "proceeding/none", "proceeding/none", "closed/success"]);
    expect((await t.device.autoboot()).committed).toBe("b");
    expect(t.server.violations).toEqual([]);
  });
});
