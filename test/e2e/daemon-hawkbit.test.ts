// End to end through a hawkBit server: the daemon's DDI feedback sequence for a deployment to success and to rollback.
import { describe, expect, it } from "vitest";
import { hawkbitPlugin, runDaemonsUntil, useE2E, type E2E } from "./daemon-harness.js";

const CONTROLLER = "pi-e2e-1";
const TOKEN = "e2e-target-token-0123456789abcdef";

const startE2E = useE2E();

/** Daemon runs across reboots until the action is closed; returns how many daemons ran. */
async function runUntilClosed(t: E2E, actionId: number, maxBoots = 4): Promise<number> {
  const closed = (): boolean => t.server.hawkbit.feedbackSummary(actionId).some((f) => f.startsWith("closed/"));
  return (await runDaemonsUntil(t, { what: "a closed action", reached: closed }, maxBoots)).length;
}

async function start(): Promise<E2E> {
  const t = await startE2E({ server: { hawkbit: { sleep: "00:00:01" } }, config: (server) => ({ plugins: hawkbitPlugin(server, CONTROLLER, TOKEN) }) });
  t.server.hawkbit.addTarget(CONTROLLER, TOKEN);
  return t;
}

describe("daemon with a hawkBit server (child process on the simulated Pi)", () => {
  it("takes an action to closed/success with the DDI feedback sequence", async () => {
    const e2e = await start();
    const file = await e2e.artifact({ name: "release-2", version: "v2" });
    const action = e2e.server.hawkbit.createAction({ controllerId: CONTROLLER, artifacts: [{ filename: "release-2.mender", data: file }], version: "release-2" });

    expect(await runUntilClosed(e2e, action)).toBe(2);

    expect(e2e.server.hawkbit.feedbackSummary(action)).toEqual(["download/none", "proceeding/none", "proceeding/none", "proceeding/none", "closed/success"]);
    expect((await e2e.device.autoboot()).committed).toBe("b");
    expect(e2e.server.violations).toEqual([]);
  });

  it("reports closed/failure after the firmware falls back from a panicking release", async () => {
    const e2e = await start();
    const file = await e2e.artifact({ name: "release-3", version: "v3", behaviour: "panics" });
    const action = e2e.server.hawkbit.createAction({ controllerId: CONTROLLER, artifacts: [{ filename: "release-3.mender", data: file }], version: "release-3" });

    await runUntilClosed(e2e, action);

    expect(e2e.server.hawkbit.feedbackSummary(action)).toEqual(["download/none", "proceeding/none", "proceeding/none", "closed/failure"]);
    expect((await e2e.device.autoboot()).committed).toBe("a");
    expect(e2e.device.lastBoot?.slot).toBe("a");
    expect(e2e.server.violations).toEqual([]);
  });

  it("artifact-hash-mismatch: bytes that differ from the announced SHA-256 close the action as failed, nothing armed", async () => {
    const e2e = await start();
    const file = await e2e.artifact({ name: "release-4", version: "v4" });
    const action = e2e.server.hawkbit.createAction({
      controllerId: CONTROLLER,
      artifacts: [{ filename: "release-4.mender", data: file, announcedSha256: "0".repeat(64) }],
      version: "release-4",
    });

    // No reboot may be requested: the first daemon closes the action itself.
    expect(await runUntilClosed(e2e, action, 0)).toBe(1);

    const feedback = e2e.server.hawkbit.actions.get(action)?.feedback ?? [];
    expect(feedback.at(-1)?.status.execution).toBe("closed");
    expect(feedback.at(-1)?.status.result.finished).toBe("failure");
    expect(feedback.map((f) => `${f.status.execution}/${f.status.result.finished}`)).not.toContain("proceeding/none");
    expect((feedback.at(-1)?.status.details ?? []).join("\n")).toMatch(/SHA-256/);
    expect(e2e.device.pendingReboot).toBeFalsy();
    expect((await e2e.device.autoboot()).committed).toBe("a");
    expect(e2e.server.violations).toEqual([]);
  });
});
