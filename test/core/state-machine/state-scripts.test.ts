// State scripts through the runner: Mender's names, order, exit 21, timeouts and which failures change the flow.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OtaError } from "../../../core/errors/index.js";
import type { DeploymentOutcome } from "../../../core/state-machine/deployment-runner.js";
import { FakeServer, createFakeDevice, deployment, untilHalt, type FakeDevice } from "../../helpers/scenario-fakes.js";

const signal = new AbortController().signal;
const ARTIFACT_SCRIPTS = "/data/artifact-scripts";
const ROOTFS_SCRIPTS = "/etc/ota-agent/scripts";
let dev: FakeDevice;

beforeEach(async () => {
  dev = await createFakeDevice();
  dev.pipeline.scriptsDir = ARTIFACT_SCRIPTS;
});
afterEach(async () => {
  await dev.close();
});

/** Runs a deployment to its end, standalone, or server-driven (the daemon's way: Idle and Sync scripts run) with `server`. */
async function runToEnd(server?: FakeServer): Promise<DeploymentOutcome> {
  const s = server ? { server } : {};
  let out = await untilHalt(() => dev.runner().start(deployment(), { reboot: true, signal, ...s }));
  for (let boots = 0; out === "halted" || out.kind === "rebooting"; boots++) {
    if (boots > 40) throw new Error("no end after 40 boots");
    if (out === "halted") dev.bootloader.boot();
    out = await untilHalt(() => dev.runner().resume({ signal, ...s }));
  }
  return out;
}

/** One script per Mender script point of a successful standalone deployment. */
async function allScripts(): Promise<void> {
  for (const s of ["Download_Enter_01", "Download_Leave_01"]) await dev.script(ROOTFS_SCRIPTS, s);
  for (const s of [
    "ArtifactInstall_Enter_01",
    "ArtifactInstall_Leave_01",
    "ArtifactReboot_Enter_01",
    "ArtifactReboot_Leave_01",
    "ArtifactCommit_Enter_01",
    "ArtifactCommit_Leave_01",
    "ArtifactRollback_Enter_01",
    "ArtifactRollback_Leave_01",
    "ArtifactRollbackReboot_Enter_01",
    "ArtifactRollbackReboot_Leave_01",
    "ArtifactFailure_Enter_01",
    "ArtifactFailure_Leave_01",
    "ArtifactCommit_Error_01",
    "ArtifactInstall_Error_01",
    "ArtifactReboot_Error_01",
  ])
    await dev.script(ARTIFACT_SCRIPTS, s);
}

describe("state scripts", () => {
  it("run at Mender's points, rootfs scripts for Download and artifact scripts from ArtifactInstall on", async () => {
    await allScripts();
    expect(await runToEnd()).toMatchObject({ kind: "success" });
    expect(await dev.scriptsRun()).toEqual([
      "Download_Enter_01",
      "Download_Leave_01",
      "ArtifactInstall_Enter_01",
      "ArtifactInstall_Leave_01",
      "ArtifactReboot_Enter_01",
      "ArtifactReboot_Leave_01",
      "ArtifactCommit_Enter_01",
      "ArtifactCommit_Leave_01",
    ]);
  });

  it("server-driven: Idle_Leave and Sync scripts run before Download, Idle_Enter after the end; a standalone install runs none", async () => {
    for (const s of ["Idle_Enter_01", "Idle_Leave_01", "Sync_Enter_01", "Sync_Leave_01", "Sync_Error_01", "Download_Enter_01"]) {
      await dev.script(ROOTFS_SCRIPTS, s);
    }
    expect(await runToEnd(new FakeServer())).toMatchObject({ kind: "success" });
    expect(await dev.scriptsRun()).toEqual(["Idle_Leave_01", "Sync_Enter_01", "Sync_Leave_01", "Download_Enter_01", "Idle_Enter_01"]);
  });

  it("idle-script-fails: ignored, the deployment goes on", async () => {
    await dev.script(ROOTFS_SCRIPTS, "Idle_Leave_01", "exit 1");
    await dev.script(ROOTFS_SCRIPTS, "Sync_Enter_01");
    expect(await runToEnd(new FakeServer())).toMatchObject({ kind: "success" });
    expect(await dev.scriptsRun()).toEqual(["Idle_Leave_01", "Sync_Enter_01"]);
  });

  it("sync-enter-script-fails: Sync_Error runs, nothing is downloaded, failure reported", async () => {
    await dev.script(ROOTFS_SCRIPTS, "Sync_Enter_01", "exit 1");
    await dev.script(ROOTFS_SCRIPTS, "Sync_Error_01");
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01");
    const server = new FakeServer();
    expect(await runToEnd(server)).toMatchObject({ kind: "failure", error: { state: "Sync" } });
    expect(await dev.scriptsRun()).toEqual(["Sync_Enter_01", "Sync_Error_01"]);
    expect(dev.chain).toEqual([]);
    expect(server.statuses.at(-1)).toBe("failure");
  });

  it("uncommitted-trial at sync: Sync_Error runs (server-driven) and the other slot is left alone", async () => {
    dev.bootloader.booted = "b";
    dev.bootloader.trial = true;
    await dev.script(ROOTFS_SCRIPTS, "Sync_Error_01");
    expect(await runToEnd(new FakeServer())).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_STATE_UNCOMMITTED_TRIAL" } });
    expect(await dev.scriptsRun()).toEqual(["Sync_Error_01"]);
    expect(dev.chain).toEqual([]);
  });

  it("download-fails: Download_Error runs before Cleanup (Mender), no rollback", async () => {
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01");
    await dev.script(ROOTFS_SCRIPTS, "Download_Leave_01");
    await dev.script(ROOTFS_SCRIPTS, "Download_Error_01");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactFailure_Enter_01");
    dev.pipeline.fail = new OtaError("OTA_ERR_INSTALL_ARTIFACT_INVALID", "artifact ends inside data");
    expect(await runToEnd()).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_INSTALL_ARTIFACT_INVALID", state: "Download" } });
    expect(await dev.scriptsRun()).toEqual(["Download_Enter_01", "Download_Error_01"]);
    expect(dev.chain).toEqual(["Download"]);
  });

  it("download-leave-script-fails: Download_Error runs, then Cleanup without a rollback", async () => {
    await dev.script(ROOTFS_SCRIPTS, "Download_Leave_01", "exit 1");
    await dev.script(ROOTFS_SCRIPTS, "Download_Error_01");
    expect(await runToEnd()).toMatchObject({ kind: "failure", error: { state: "Download" } });
    expect(await dev.scriptsRun()).toEqual(["Download_Leave_01", "Download_Error_01"]);
    expect(dev.chain).toEqual(["Download", "cleanup"]);
  });

  it("rollback-reboot-leave-script-fails: ArtifactRollbackReboot_Error runs, the flow goes on, _INCONSISTENT", async () => {
    await allScripts();
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactCommit_Enter_01", "exit 1");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactRollbackReboot_Leave_01", "exit 1");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactRollbackReboot_Error_01");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent", error: { state: "ArtifactCommit" } });
    const ran = await dev.scriptsRun();
    expect(ran.slice(ran.indexOf("ArtifactRollbackReboot_Enter_01"))).toEqual([
      "ArtifactRollbackReboot_Enter_01",
      "ArtifactRollbackReboot_Leave_01",
      "ArtifactRollbackReboot_Error_01",
      "ArtifactFailure_Enter_01",
      "ArtifactFailure_Leave_01",
    ]);
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a" });
    expect(await dev.runner().installed()).toMatchObject({ artifactName: "release-2_INCONSISTENT" });
  });

  it("run in NN order; non-matching and non-executable files are ignored", async () => {
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Enter_10_late");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Enter_02");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Enter_3");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Enter_05.sh~ backup");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${dev.sysroot}${ARTIFACT_SCRIPTS}/ArtifactInstall_Enter_04`, "#!/bin/sh\nexit 1\n", { mode: 0o644 });
    expect(await runToEnd()).toMatchObject({ kind: "success" });
    expect(await dev.scriptsRun()).toEqual(["ArtifactInstall_Enter_02", "ArtifactInstall_Enter_10_late"]);
  });

  it("commit-enter-script-fails: Error scripts run, then the rollback path; stderr lands in the deployment log", async () => {
    await allScripts();
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactCommit_Enter_01", "echo 'database migration failed' >&2; exit 1");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "rolled-back", error: { code: "OTA_ERR_SCRIPT_FAILED", state: "ArtifactCommit" } });
    const ran = await dev.scriptsRun();
    expect(ran.slice(ran.indexOf("ArtifactCommit_Enter_01"))).toEqual([
      "ArtifactCommit_Enter_01",
      "ArtifactCommit_Error_01",
      "ArtifactRollback_Enter_01",
      "ArtifactRollback_Leave_01",
      "ArtifactRollbackReboot_Enter_01",
      "ArtifactRollbackReboot_Leave_01",
      "ArtifactFailure_Enter_01",
      "ArtifactFailure_Leave_01",
    ]);
    expect(dev.chain).not.toContain("artifactCommit");
    expect(dev.bootloader).toMatchObject({ booted: "a", committed: "a" });
    expect(dev.logs.entries.some((e) => String(e.msg).includes("ArtifactCommit_Enter_01: database migration failed"))).toBe(true);
  });

  it("commit-leave-script-fails: no rollback any more, but failure and _INCONSISTENT (Mender)", async () => {
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactCommit_Leave_01", "exit 3");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent", error: { state: "AfterCommit" } });
    expect(dev.bootloader).toMatchObject({ booted: "b", committed: "b" });
    expect(await dev.runner().installed()).toMatchObject({ artifactName: "release-2_INCONSISTENT" });
  });

  it("rollback-script-fails: the flow goes on, the rollback counts as failed (_INCONSISTENT)", async () => {
    dev.module.faults = { failIn: new Set(["artifactInstall"]) };
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactRollback_Enter_01", "exit 1");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "inconsistent" });
    expect(dev.chain).toContain("artifactRollback");
    expect(dev.bootloader).toMatchObject({ committed: "a", tryboot: "a" });
  });

  it("error-script-fails: ignored, every Error script still runs", async () => {
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Enter_01", "exit 1");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Error_01", "exit 1");
    await dev.script(ARTIFACT_SCRIPTS, "ArtifactInstall_Error_02");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "rolled-back", error: { state: "ArtifactInstall" } });
    expect(await dev.scriptsRun()).toEqual(["ArtifactInstall_Enter_01", "ArtifactInstall_Error_01", "ArtifactInstall_Error_02"]);
  });

  it("exit 21 retries the script later until it succeeds", async () => {
    const marker = `${dev.dir}/tries`;
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01", `n=$(cat "${marker}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${marker}"; [ $n -ge 3 ] || exit 21`);
    expect(await runToEnd()).toMatchObject({ kind: "success" });
    expect((await dev.scriptsRun()).filter((s) => s === "Download_Enter_01")).toHaveLength(3);
  });

  it("script-retries-forever: exit 21 past the retry timeout fails the state", async () => {
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01", "exit 21");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_SCRIPT_RETRY_TIMEOUT", state: "Download" } });
    expect(dev.chain).toEqual([]);
  });

  it("script-hangs: killed at the per-script timeout, counted as a failure", async () => {
    await dev.close();
    dev = await createFakeDevice({ stateScripts: { timeoutMs: 300 } });
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01", "exec sleep 30");
    const out = await runToEnd();
    expect(out).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_SCRIPT_TIMEOUT" } });
  });

  it("scripts-version-unsupported: a version file other than 2 or 3 fails the state", async () => {
    const { writeFile } = await import("node:fs/promises");
    await dev.script(ROOTFS_SCRIPTS, "Download_Enter_01");
    await writeFile(`${dev.sysroot}${ROOTFS_SCRIPTS}/version`, "7\n");
    expect(await runToEnd()).toMatchObject({ kind: "failure", error: { code: "OTA_ERR_SCRIPT_VERSION" } });
  });
});
