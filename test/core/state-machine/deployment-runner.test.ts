// The deployment runner on a fake device: whole call chains, status reports and results under injected failures.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OtaError } from "../../../core/errors/index.js";
import type { DeploymentOutcome } from "../../../core/state-machine/deployment-runner.js";
import {
  FakeHalt,
  FakeServer,
  createFakeDevice,
  deployment,
  untilHalt,
  type FakeDevice,
} from "../../helpers/scenario-fakes.js";

const signal = new AbortController().signal;
let dev: FakeDevice;

beforeEach(async () => {
  dev = await createFakeDevice();
});
afterEach(async () => {
  await dev.close();
});

/** Starts a deployment and keeps rebooting + resuming (as the daemon at boot does) until it finishes. */
async function runToEnd(server?: FakeServer, reboot = true): Promise<DeploymentOutcome> {
  let out = await untilHalt(() => dev.runner().start(deployment(), server ? { server, reboot, signal } : { reboot, signal }));
  for (let boots = 0; out === "halted" || out.kind === "rebooting"; boots++) {
    if (boots > 40) throw new Error("no end after 40 boots");
    if (out === "halted") dev.bootloader.boot();
    out = await untilHalt(() => dev.runner().resume(server ? { server, signal } : { signal }));
  }
  return out;
}

async function provides() {
  return dev.runner().installed();
}

describe("deployment runner › success", () => {
  it("installs, reboots into the trial, checks health, commits and stores the new provides", async () => {
    const server = new FakeServer();
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "success", artifactName: "release-2" });
    expect(dev.chain).toEqual([
      "Download",
      "artifactInstall",
      "boot:arm:b",
      "artifactReboot",
      "boot:reboot:trial",
      "artifactVerifyReboot",
      "artifactCommit",
      "boot:commit:b",
      "cleanup",
    ]);
    expect(server.statuses).toEqual(["downloading", "installing", "rebooting", "installing", "success"]);
    expect(await provides()).toMatchObject({ artifactName: "release-2", provides: { "rootfs-image.version": "2" } });
    expect(dev.bootloader).toMatchObject({ booted: "b", committed: "b" });
    expect(await dev.runner().current()).toBeUndefined();
    expect(await dev.runner().lastResult()).toMatchObject({ result: "success", artifactName: "release-2" });
  });

  it("runs post-commit boot tasks once the commit is done, naming the committed and the previous slot", async () => {
    await runToEnd();
    expect(dev.bootTask.runs.map((r) => ({ phase: r.phase, committed: r.committed }))).toEqual([
      { phase: "post-commit", committed: { slot: "b", previous: "a", deploymentId: "dep-1" } },
    ]);
  });

  it("no post-commit tasks when the deployment fails", async () => {
    dev.health.result = { ok: false };
    await runToEnd();
    expect(dev.bootTask.runs).toEqual([]);
  });

  it("standalone install without reboot stops armed; resume performs the trial reboot", async () => {
    const out = await dev.runner().start(deployment(), { reboot: false, signal });
    expect(out).toMatchObject({ kind: "rebooting", rebootRequested: false, state: "AwaitReboot" });
    expect(dev.bootloader.tryboot).toBe("b");
    expect(dev.bootloader.pendingReboot).toBeUndefined();
    expect(await untilHalt(() => dev.runner().resume({ signal }))).toBe("halted");
    dev.bootloader.boot();
    expect(dev.bootloader).toMatchObject({ booted: "b", trial: true });
    expect(await dev.runner().commit({ signal })).toMatchObject({ kind: "success" });
  });
});

describe("deployment runner › failures", () => {
  it("install-fails: rolls back without a reboot, reports failure with the log, keeps the provides", async () => {
    dev.module.faults = { failIn: new Set(["artifactInstall"]) };
    const server = new FakeServer();
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_MODULE_FAILED", state: "ArtifactInstall" } });
    expect(dev.chain).toEqual(["Download", "artifactInstall", "artifactRollback", "boot:disarm", "artifactFailure", "boot:disarm", "cleanup"]);
    expect(server.statuses).toEqual(["downloading", "installing", "failure"]);
    expect(server.logs).toHaveLength(1);
    expect(server.logs[0]!.some((l) => l.message.includes("fake module fails in artifactInstall"))).toBe(true);
    expect(await provides()).toMatchObject({ artifactName: "release-1" });
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a", tryboot: "a" });
  });

  it("trial-kernel-panics: the firmware falls back, verify sees the old slot, rollback without a second reboot", async () => {
    dev.bootloader.trialBehaviour = "panics";
    const server = new FakeServer();
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "rolled-back", error: { state: "ArtifactVerifyReboot" } });
    expect(dev.chain).toEqual([
      "Download",
      "artifactInstall",
      "boot:arm:b",
      "artifactReboot",
      "boot:reboot:trial",
      "artifactVerifyReboot",
      "artifactRollback",
      "boot:disarm",
      "artifactFailure",
      "boot:disarm",
      "cleanup",
    ]);
    expect(server.statuses).toEqual(["downloading", "installing", "rebooting", "failure"]);
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a", trial: false });
    expect(server.logs.at(-1)?.map((l) => l.message).join("\n")).toContain("the trial of slot b did not come up");
  });

  it("trial-never-happened: the arm was lost before the trial reboot; the log says so apart from a failed trial", async () => {
    const server = new FakeServer();
    let out = await dev.runner().start(deployment(), { server, reboot: false, signal });
    expect(out).toMatchObject({ kind: "rebooting", state: "AwaitReboot" });
    dev.bootloader.tryboot = "a"; // e.g. another tool rewrote autoboot.txt while the deployment waited
    let run: DeploymentOutcome | "halted" = "halted";
    for (let boots = 0; run === "halted" || run.kind === "rebooting"; boots++) {
      if (boots > 10) throw new Error("no end after 10 boots");
      if (run === "halted" && boots > 0) dev.bootloader.boot();
      run = await untilHalt(() => dev.runner().resume({ server, signal }));
    }
    out = run;
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_INSTALL_VERIFY_REBOOT", state: "ArtifactVerifyReboot" } });
    const log = server.logs.at(-1)?.map((l) => l.message).join("\n") ?? "";
    expect(log).toContain("the trial never happened");
    expect(log).not.toContain("did not come up");
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a", trial: false });
  });

  it("trial-unhealthy: a failed health check rolls back from inside the trial", async () => {
    dev.health.result = { ok: false, reason: "unit app.service is failed" };
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_HEALTH_FAILED", state: "HealthCheck" } });
    expect(dev.chain).not.toContain("artifactCommit");
    expect(dev.chain.slice(-6)).toEqual(["artifactRollbackReboot", "boot:reboot:normal", "artifactVerifyRollbackReboot", "artifactFailure", "boot:disarm", "cleanup"]);
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a" });
    expect(await provides()).toMatchObject({ artifactName: "release-1" });
  });

  it("health-check-hangs: a check past the deadline counts as unhealthy", async () => {
    await dev.close();
    dev = await createFakeDevice({ health: { deadlineMs: 50 } });
    dev.health.check = () => new Promise(() => undefined);
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_HEALTH_TIMEOUT" } });
  });

  it("download-rejected: nothing installed, failure reported, no rollback states run", async () => {
    dev.pipeline.fail = new OtaError("OTA_ERR_INSTALL_ARTIFACT_INVALID", "artifact for device type raspberrypi4");
    const server = new FakeServer();
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_INSTALL_ARTIFACT_INVALID", state: "Download" } });
    expect(dev.chain).toEqual(["Download"]);
    expect(server.statuses).toEqual(["downloading", "failure"]);
    expect(await provides()).toMatchObject({ artifactName: "release-1" });
  });

  it("server-aborts-at-downloading: Cleanup, failure, nothing downloaded", async () => {
    const server = new FakeServer();
    server.abortAt = "downloading";
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_STATE_ABORTED" } });
    expect(dev.chain).toEqual([]);
  });

  it("server-aborts-at-rebooting: the armed trial is rolled back", async () => {
    const server = new FakeServer();
    server.abortAt = "rebooting";
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_STATE_ABORTED" } });
    expect(dev.chain).toContain("artifactRollback");
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a", tryboot: "a" });
  });

  it("server-unreachable-before-commit: the trial is rolled back, not committed", async () => {
    const server = new FakeServer();
    const reports: Array<{ status: string; critical: boolean }> = [];
    let installingReports = 0;
    server.reportStatus = async (_d, report) => {
      reports.push({ status: report.status, critical: report.critical === true });
      // The second "installing" is the one from the new software, just before the commit.
      if (report.status === "installing" && ++installingReports === 2) throw new Error("connect ECONNREFUSED");
      return "ok";
    };
    let renewed = 0;
    Object.assign(server, { renewCredentials: () => void renewed++ });
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_STATE_REPORT_FAILED" } });
    expect(renewed).toBe(1);
    expect(dev.chain).not.toContain("artifactCommit");
    expect(dev.bootloader).toMatchObject({ committed: "a" });
    // The pre-commit and the final report are the critical ones (the server plugin retries them with its backoff).
    expect(reports.filter((r) => r.critical).map((r) => r.status)).toEqual(["installing", "failure"]);
  });

  it("rollback-fails: the artifact is marked _INCONSISTENT", async () => {
    dev.module.faults = { failIn: new Set(["artifactInstall", "artifactRollback"]) };
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent" });
    expect(await provides()).toMatchObject({ artifactName: "release-2_INCONSISTENT", provides: { "rootfs-image.version": "1" } });
  });

  it("rollback-unsupported: ArtifactFailure directly, _INCONSISTENT", async () => {
    dev.module.faults = { failIn: new Set(["artifactInstall"]), rollback: false };
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent" });
    expect(dev.chain).not.toContain("artifactRollback");
    expect(dev.chain).toContain("artifactFailure");
  });

  it("rollback-reboot-never-returns: the store counter ends the loop as inconsistent", async () => {
    dev.health.result = { ok: false };
    // the module's verify of the rollback reboot always fails: reboot, verify, reboot, ...
    dev.module.artifactVerifyRollbackReboot = async () => {
      dev.chain.push("artifactVerifyRollbackReboot");
      throw new OtaError("OTA_ERR_INSTALL_VERIFY_REBOOT", "never back");
    };
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent" });
    expect(dev.logs.events("deployment.state-loop")).toHaveLength(1);
    expect(dev.chain.filter((c) => c === "artifactVerifyRollbackReboot").length).toBeGreaterThan(5);
    expect(dev.chain.at(-1)).toBe("cleanup");
    expect(await dev.runner().current()).toBeUndefined();
  });
});

describe("deployment runner › loops end", () => {
  it("failure-path-interrupted-at-every-boot: abandoned past the loop limit, finished and reported", async () => {
    dev.module.faults = { failIn: new Set(["artifactInstall"]) };
    // power is lost inside ArtifactFailure at every boot (as if its module call always cut the power)
    dev.module.artifactFailure = async () => {
      dev.chain.push("artifactFailure");
      throw new FakeHalt("power cut");
    };
    const server = new FakeServer();
    const out = await runToEnd(server);
    expect(out).toMatchObject({ kind: "inconsistent" });
    expect(server.statuses.at(-1)).toBe("failure");
    expect(await dev.runner().current()).toBeUndefined();
    expect(dev.bootloader.tryboot).toBe(dev.bootloader.committed);
    expect(dev.chain.filter((c) => c === "artifactFailure").length).toBeLessThan(40);
  });
});

describe("deployment runner › guards", () => {
  it("uncommitted-trial: refuses to install while booted != committed", async () => {
    dev.bootloader.booted = "b";
    dev.bootloader.trial = true;
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_STATE_UNCOMMITTED_TRIAL" } });
    expect(dev.chain).toEqual([]);
  });

  it("deployment-in-progress: a second start is refused, the first one is untouched", async () => {
    await dev.runner().start(deployment(), { reboot: false, signal });
    await expect(dev.runner().start(deployment("dep-2"), { reboot: false, signal })).rejects.toMatchObject({ code: "OTA_ERR_STATE_IN_PROGRESS" });
    expect((await dev.runner().current())?.deployment.id).toBe("dep-1");
  });

  it("resume with nothing in progress says nothing", async () => {
    expect(await dev.runner().resume({ signal })).toEqual({ kind: "nothing" });
  });

  it("commit before the trial reboot is not applicable", async () => {
    await dev.runner().start(deployment(), { reboot: false, signal });
    await expect(dev.runner().commit({ signal })).rejects.toMatchObject({ code: "OTA_ERR_STATE_NOT_APPLICABLE" });
  });

  it("operator rollback of an armed deployment disarms and reports failure", async () => {
    await dev.runner().start(deployment(), { reboot: false, signal });
    const out = await dev.runner().rollback({ signal });
    expect(out).toMatchObject({ kind: "rolled-back" });
    expect(dev.bootloader).toMatchObject({ committed: "a", tryboot: "a" });
    expect(dev.chain).not.toContain("boot:reboot:normal");
  });

  it("record-from-a-newer-agent: after a rollback to an older agent, its unknown record schema takes the rollback path", async () => {
    await dev.runner().start(deployment(), { reboot: false, signal });
    const { readFile, writeFile } = await import("node:fs/promises");
    const file = `${dev.sysroot}/data/deployment.json`;
    const record = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...record, schemaVersion: 2, newField: true }));
    const out = await dev.runner().rollback({ signal });
    expect(out).toMatchObject({ kind: "rolled-back" });
    expect(dev.bootloader).toMatchObject({ committed: "a", tryboot: "a" });
  });

  it("record-corrupt: a garbled deployment record takes the rollback path and disarms", async () => {
    await dev.runner().start(deployment(), { reboot: false, signal });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${dev.sysroot}/data/deployment.json`, "{not json");
    // a read-only reader (status) gets there first: the record is moved aside, but a recovery record replaces it
    expect(await dev.runner().current()).toMatchObject({ state: "CheckRollback", error: { code: "OTA_ERR_STORE_CORRUPT" } });
    let out = await untilHalt(() => dev.runner().resume({ signal }));
    while (out === "halted" || out.kind === "rebooting") {
      dev.bootloader.boot();
      out = await untilHalt(() => dev.runner().resume({ signal }));
    }
    expect(out).toMatchObject({ kind: "rolled-back" });
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a", tryboot: "a" });
  });
});
