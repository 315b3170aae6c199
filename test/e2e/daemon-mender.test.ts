// End to end through a Mender server: the daemon on a simulated Pi takes a deployment to success, and one to rollback.
import { describe, expect, it } from "vitest";
import { menderPlugin, runDaemonsUntil, useE2E, type DaemonProcess, type E2E } from "./daemon-harness.js";

const menderConfig = (server: { url: string }) => ({
  plugins: menderPlugin(server, { updatePollIntervalSeconds: 1, inventoryPollIntervalSeconds: 3600 }),
});

const startE2E = useE2E();

/** Runs daemons across reboots until the server has a final status for the deployment; returns every daemon run. */
function runUntilFinal(t: E2E, deploymentId: string, also: () => boolean = () => true, maxBoots = 4): Promise<DaemonProcess[]> {
  const final = (): boolean => {
    const statuses = t.server.mender.statuses(deploymentId);
    return (statuses.includes("success") || statuses.includes("failure")) && also();
  };
  return runDaemonsUntil(t, { what: "a final status", reached: final }, maxBoots);
}

describe("daemon with a Mender server (child process on the simulated Pi)", () => {
  it("takes a deployment to success with the status sequence a Mender server records", async () => {
    const e2e = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig });
    const file = await e2e.artifact({ name: "release-2", version: "v2" });
    const id = e2e.server.mender.createDeployment({ artifactName: "release-2", artifact: file, deviceTypes: [e2e.device.deviceType] });

    const t = e2e;
    // Mender sends the inventory right after a deployment ends: wait for one after the final status.
    const inventoryAfterFinal = (): boolean => {
      const final = t.server.requests.findIndex((r) => r.endpoint === "mender.status" && (r.body as { status?: string } | undefined)?.status === "success");
      return final >= 0 && t.server.requests.slice(final).some((r) => r.endpoint.startsWith("mender.inventory") && r.status === 200);
    };
    const runs = await runUntilFinal(t, id, inventoryAfterFinal);

    expect(e2e.server.mender.statuses(id)).toEqual(["downloading", "installing", "rebooting", "installing", "success"]);
    expect(runs.length).toBe(2);
    expect(e2e.device.lastBoot?.slot).toBe("b");
    expect((await e2e.device.autoboot()).committed).toBe("b");
    expect((await e2e.device.slotMarker("b"))?.version).toBe("v2");
    expect(e2e.server.violations).toEqual([]);
    // The presigned artifact link never carries the device's token.
    expect(e2e.server.requests.filter((r) => r.endpoint === "mender.download").every((r) => !r.hadAuthorization)).toBe(true);
    // The inventory sent after the deployment names the new artifact.
    const lastInventory = e2e.server.requests.filter((r) => r.endpoint.startsWith("mender.inventory") && r.status === 200).at(-1);
    expect(JSON.stringify(lastInventory?.body)).toContain("release-2");
  });

  it("rolls back a release whose kernel panics and reports failure with the log", async () => {
    const e2e = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig });
    const file = await e2e.artifact({ name: "release-3", version: "v3", behaviour: "panics" });
    const id = e2e.server.mender.createDeployment({ artifactName: "release-3", artifact: file, deviceTypes: [e2e.device.deviceType] });

    await runUntilFinal(e2e, id);

    expect(e2e.server.mender.statuses(id)).toEqual(["downloading", "installing", "rebooting", "failure"]);
    const logs = e2e.server.mender.logs(id);
    expect(logs.length).toBe(1);
    expect(logs[0]!.map((l) => l.message).join("\n")).toMatch(/ArtifactVerifyReboot/);
    expect(e2e.device.lastBoot?.slot).toBe("a");
    expect((await e2e.device.autoboot()).committed).toBe("a");
    expect(e2e.server.violations).toEqual([]);
  });

  /** Daemons across reboots until one logs the end of the deployment (an aborted one has no final status). */
  async function runUntilDone(t: E2E, maxBoots = 4): Promise<number> {
    const done = (d: DaemonProcess): boolean => d.lines.some((l) => l["event"] === "schedule.deployment-done");
    return (await runDaemonsUntil(t, { what: "the deployment's end", reached: done }, maxBoots)).length;
  }

  it("aborted-before-install-409: the installing report gets 409, nothing is armed and no reboot happens", async () => {
    const e2e = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig });
    const file = await e2e.artifact({ name: "release-5", version: "v5" });
    const id = e2e.server.mender.createDeployment({ artifactName: "release-5", artifact: file, deviceTypes: [e2e.device.deviceType] });
    e2e.server.mender.abortAfter(id, "downloading");

    expect(await runUntilDone(e2e, 0)).toBe(1);

    expect(e2e.server.mender.statuses(id)).toEqual(["downloading"]);
    expect(e2e.server.requests.some((r) => r.endpoint === "mender.status" && r.status === 409)).toBe(true);
    expect(e2e.device.pendingReboot).toBeFalsy();
    expect((await e2e.device.autoboot()).committed).toBe("a");
    expect(e2e.server.violations).toEqual([]);
  });

  it("aborted-before-commit-409: the installing report after the reboot gets 409 and the device rolls back", async () => {
    const e2e = await startE2E({ server: { mender: { autoAccept: true } }, config: menderConfig });
    const file = await e2e.artifact({ name: "release-6", version: "v6" });
    const id = e2e.server.mender.createDeployment({ artifactName: "release-6", artifact: file, deviceTypes: [e2e.device.deviceType] });
    e2e.server.mender.abortAfter(id, "rebooting");

    // Three daemon runs: install and reboot into b, the abort and the reboot back to a, the rollback's end on a.
    expect(await runUntilDone(e2e)).toBe(3);

    expect(e2e.server.mender.statuses(id)).toEqual(["downloading", "installing", "rebooting"]);
    expect(e2e.server.requests.some((r) => r.endpoint === "mender.status" && r.status === 409)).toBe(true);
    expect(e2e.device.lastBoot?.slot).toBe("a");
    expect((await e2e.device.autoboot()).committed).toBe("a");
    expect(e2e.server.violations).toEqual([]);
  });
});
