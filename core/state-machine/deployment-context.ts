// One deployment's working set for the states: the record, its durable saves, the log, modules and reports.
import type { BootTask } from "../capabilities/boot-task.js";
import type { Bootloader } from "../capabilities/bootloader.js";
import type { Deployment, DeploymentServer, DeploymentStatus, StatusReport } from "../capabilities/deployment-server.js";
import type { Platform } from "../capabilities/platform.js";
import type { StateStore } from "../capabilities/state-store.js";
import type { ModuleContext, UpdateModule } from "../capabilities/update-module.js";
import { OtaError, asOtaError } from "../errors/index.js";
import type { DownloadRequest, DownloadResult, InstallProgress } from "../install/download-types.js";
import type { ModuleContextOptions } from "../install/module-context.js";
import type { Logger } from "../logging/logger.js";
import type { DeploymentRecord, ProvidesRecord } from "./deployment-record.js";
import { RECORD_KEYS } from "./deployment-record.js";
import type { StateName } from "./events.js";
import { rethrowIfHalt } from "./halt.js";
import type { HealthGate } from "./health/health-gate.js";
import { trackFailure } from "./outcome-tracker.js";
import type { ScriptAction, ScriptRunner } from "./scripts/script-runner.js";
import { SCRIPT_POLICIES } from "./scripts/script-policy.js";
import { EVENTS } from "../logging/event-ids.js";

/** The pieces of the install pipeline the machine uses (core/install provides them). */
export interface InstallPort {
  download(request: DownloadRequest): Promise<DownloadResult>;
  moduleFor(payloadType: string): UpdateModule;
  moduleContext(result: DownloadResult, payloadIndex: number, options: ModuleContextOptions): ModuleContext;
}

/** Everything a deployment needs from the agent; built once per run by the DeploymentRunner. */
export interface DeploymentServices {
  platform: Platform;
  store: StateStore;
  log: Logger;
  install: InstallPort;
  bootloader?: Bootloader;
  scripts: ScriptRunner;
  health: HealthGate;
  rootfsScriptsDir: string;
  /** BootTasks with the post-commit phase (e.g. preparing the new slot's fresh /var), run after each commit. */
  postCommitTasks: readonly BootTask[];
  deviceType?: string;
  maxStoreCount: number;
  logLines: number;
}

/** A hold before ArtifactInstall (maintenance window, hawkBit "update: skip"): why, and a wait for its end. */
export interface InstallPause {
  /** Shown to the server as the substate of `pause_before_installing` and in the deployment log. */
  reason: string;
  /** Resolves when installing may start; rejects with the signal's reason when the run is stopped. */
  wait(signal: AbortSignal): Promise<void>;
}

export interface RunOptions {
  server?: DeploymentServer;
  signal: AbortSignal;
  /**
   * Asked once the download is complete and its record saved (state Download), before ArtifactInstall: undefined =
   * install now, else the state reports `pause_before_installing` and waits. A restart while waiting resumes as a
   * restart during Download does (the deployment fails cleanly and is reported), since nothing is armed yet.
   */
  beforeInstall?: (deployment: Deployment) => Promise<InstallPause | undefined>;
  onProgress?: (progress: InstallProgress) => void;
  /** Observes every state entered (tests, the demo's narration, the CLI's progress). */
  onState?: (state: StateName) => void;
}

/** A module with the context of its payload. */
export interface ModuleCall {
  module: UpdateModule;
  ctx: ModuleContext;
}

export class DeploymentContext {
  readonly log: Logger;

  constructor(
    readonly services: DeploymentServices,
    public record: DeploymentRecord,
    /** The installed artifact as stored before this deployment changed anything. */
    readonly installed: ProvidesRecord,
    readonly options: RunOptions,
  ) {
    this.log = services.log.child({ deploymentId: record.deployment.id });
  }

  get platform(): Platform {
    return this.services.platform;
  }
  get signal(): AbortSignal {
    return this.options.signal;
  }

  /**
   * Persists the record as being in `state` (saved BEFORE the state acts), bumping the store counter, then passes
   * the checkpoint `state:<Name>:saved`. Throws OTA_ERR_STATE_LOOP past the limit (without writing).
   */
  async save(state: StateName): Promise<void> {
    const count = this.record.storeCount + 1;
    if (count > this.services.maxStoreCount) {
      throw new OtaError("OTA_ERR_STATE_LOOP", `deployment ${this.record.deployment.id} saved its state ${count} times (limit ${this.services.maxStoreCount}) at ${state}: stopping a loop`, {
        details: { state, storeCount: count },
      });
    }
    this.record = { ...this.record, state, storeCount: count, updatedAt: new Date(this.platform.clock.now()).toISOString() };
    await this.services.store.write(RECORD_KEYS.deployment, this.record);
    this.platform.checkpoint(`state:${state}:saved`);
  }

  /** Writes the record as it is (log lines, flags) without changing its state or counter. */
  async flush(): Promise<void> {
    await this.services.store.write(RECORD_KEYS.deployment, this.record);
  }

  /** Appends to the deployment log (kept bounded in the record) and to the agent log. */
  note(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}): void {
    this.log[level]({ ...fields }, message);
    const line = { timestamp: new Date(this.platform.clock.now()).toISOString(), level, message };
    const log = [...this.record.log, line];
    this.record.log = log.length > this.services.logLines ? log.slice(log.length - this.services.logLines) : log;
  }

  /** Records a failure: the first error is kept as "the" error; the outcome tracker advances. Re-throws halts. */
  fail(state: StateName, err: unknown): OtaError {
    // A reboot or power cut is not a failure of the step: it must end this run (see halt.ts).
    rethrowIfHalt(err);
    // Nor is a stop of the agent (the daemon's SIGTERM aborts the signal with a halt reason): the record stays at
    // the last saved state and the next start resumes from there, as after a power cut.
    if (this.signal.aborted) rethrowIfHalt(this.signal.reason);
    const e = asOtaError(err, "OTA_ERR_INTERNAL", state);
    this.note("error", `${state}: ${e.message}`, { event: EVENTS.deploymentStateFailed, state, code: e.code });
    this.record.error ??= { code: e.code, message: e.message, state };
    this.record.tracking = trackFailure(this.record.tracking);
    return e;
  }

  /** Module calls for every payload, in payload order (none before Download finished). */
  modules(): ModuleCall[] {
    const result = this.record.download;
    if (!result) return [];
    return result.payloads.map((p) => {
      const module = this.services.install.moduleFor(p.type);
      const options: Parameters<InstallPort["moduleContext"]>[2] = {
        deploymentId: this.record.deployment.id,
        workDir: this.record.workDir,
        log: this.log,
        signal: this.signal,
        currentProvides: { ...this.installed.provides, artifact_name: this.installed.artifactName },
      };
      if (this.services.deviceType) options.currentDeviceType = this.services.deviceType;
      return { module, ctx: this.services.install.moduleContext(result, p.index, options) };
    });
  }

  /**
   * Runs the scripts of this state's script point and returns the failure, if any. For `fail`-policy points the
   * caller fails the state; `ignore` ones are only logged; `rollback-failed` ones advance the tracker here (the
   * caller goes on, and may run the Error scripts). Error scripts are run by `runErrorScripts`.
   */
  async runScripts(state: StateName, action: Exclude<ScriptAction, "Error">): Promise<OtaError | undefined> {
    const policy = SCRIPT_POLICIES[state];
    if (!policy) return undefined;
    const err = await this.services.scripts.run(this.scriptDirs(policy.source), policy.scriptState, action, this.scriptOptions());
    if (!err) return undefined;
    if (policy.onError === "rollback-failed") this.fail(state, err);
    return err;
  }

  /** `<State>_Error` scripts: all of them run; their result never changes the flow. */
  async runErrorScripts(state: StateName): Promise<void> {
    const policy = SCRIPT_POLICIES[state];
    if (!policy) return;
    await this.services.scripts.run(this.scriptDirs(policy.source), policy.scriptState, "Error", this.scriptOptions());
  }

  private scriptDirs(source: "rootfs" | "artifact"): (string | undefined)[] {
    return source === "rootfs" ? [this.services.rootfsScriptsDir] : [this.record.download?.scriptsDir];
  }

  private scriptOptions() {
    return { signal: this.signal, note: (level: "info" | "warn" | "error", message: string) => this.note(level, message) };
  }

  /** Reports `status`; when the server answers "aborted", records OTA_ERR_STATE_ABORTED and returns true. */
  async reportOrAbort(state: StateName, status: DeploymentStatus): Promise<boolean> {
    if ((await this.report(status)) !== "aborted") return false;
    this.fail(state, new OtaError("OTA_ERR_STATE_ABORTED", `the server aborted deployment ${this.record.deployment.id} (status ${status})`));
    return true;
  }

  /**
   * The report that must get through (Mender's RetryThenFail): before the commit, the server has to hear from the
   * new software — a trial that cannot reach its server is not made permanent. `critical` asks the server plugin to
   * retry transient failures with its own backoff; if it still fails, OTA_ERR_STATE_REPORT_FAILED is recorded and
   * "failed" returned so the state takes its Failure edge (rollback). Standalone: always "ok".
   */
  async reportCritical(state: StateName, status: DeploymentStatus): Promise<"ok" | "aborted" | "failed"> {
    const server = this.options.server;
    if (!server || this.record.standalone) return "ok";
    try {
      const answer = await this.send(server, { status, critical: true });
      if (answer === "aborted") {
        this.fail(state, new OtaError("OTA_ERR_STATE_ABORTED", `the server aborted deployment ${this.record.deployment.id} (status ${status})`));
      }
      return answer;
    } catch (err) {
      rethrowIfHalt(err);
      const e = asOtaError(err, "OTA_ERR_INTERNAL", `report ${status}`);
      this.log.warn({ event: EVENTS.deploymentStatusFailed, code: e.code, status }, e.message);
      this.fail(
        state,
        new OtaError("OTA_ERR_STATE_REPORT_FAILED", `${state}: the server could not be told "${status}": ${e.message}`, {
          cause: e,
        }),
      );
      return "failed";
    }
  }

  /**
   * Tells the server (if any) where the deployment is. Errors are logged and ignored (Mender); "aborted" is
   * returned so the state takes its Aborted edge. `critical` (the final report) lets the server plugin retry with
   * its own backoff (Mender's RetryThenFail) before the error is logged and ignored.
   */
  async report(status: DeploymentStatus, options: { substate?: string; critical?: boolean } = {}): Promise<"ok" | "aborted"> {
    const server = this.options.server;
    if (!server || this.record.standalone) return "ok";
    const report: StatusReport = { status };
    if (options.substate) report.substate = options.substate;
    if (options.critical) report.critical = true;
    try {
      return await this.send(server, report);
    } catch (err) {
      rethrowIfHalt(err);
      const e = asOtaError(err, "OTA_ERR_INTERNAL", `report ${status}`);
      this.log.warn({ event: EVENTS.deploymentStatusFailed, code: e.code, status }, e.message);
      return "ok";
    }
  }

  private async send(server: DeploymentServer, report: StatusReport): Promise<"ok" | "aborted"> {
    const answer = await server.reportStatus(this.record.deployment, report, this.signal);
    this.log.info({ event: EVENTS.deploymentStatusReported, status: report.status, answer }, `status ${report.status}: ${answer}`);
    if (answer === "aborted") {
      this.record.aborted = true;
      this.note("warn", `server aborted the deployment (status ${report.status})`, { event: EVENTS.deploymentAborted });
    }
    return answer;
  }

}
