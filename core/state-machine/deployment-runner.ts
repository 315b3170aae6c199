// Runs deployments through the state machine: start a new one, resume after a reboot, commit or roll back on request.
import { randomUUID } from "node:crypto";
import { inject, injectable, injectAll } from "tsyringe";
import type { AgentInfo } from "../agent-info.js";
import type { BootState, Bootloader } from "../capabilities/bootloader.js";
import type { BootTask } from "../capabilities/boot-task.js";
import type { Deployment, DeploymentServer } from "../capabilities/deployment-server.js";
import type { HealthCheck } from "../capabilities/health-check.js";
import type { Platform } from "../capabilities/platform.js";
import type { StateStore } from "../capabilities/state-store.js";
import type { UpdateModule } from "../capabilities/update-module.js";
import type { AgentConfig } from "../config/schema.js";
import { TOKENS } from "../di/tokens.js";
import { OtaError, isOtaError } from "../errors/index.js";
import type { DownloadRequest, DownloadResult, InstallProgress } from "../install/download-types.js";
import { makeModuleContext } from "../install/module-context.js";
import type { Logger } from "../logging/logger.js";
import { DeploymentContext, type DeploymentServices, type RunOptions } from "./deployment-context.js";
import {
  DEPLOYMENT_RECORD_SCHEMA_VERSION,
  LastResultSchema,
  RECORD_KEYS,
  parseDeploymentRecord,
  parseProvidesRecord,
  type DeploymentRecord,
  type LastResult,
  type ProvidesRecord,
} from "./deployment-record.js";
import { StateEngine, type EngineStop } from "./engine.js";
import type { StateName } from "./events.js";
import { HealthGate } from "./health/health-gate.js";
import { initialProvides } from "./provides.js";
import { resumeTarget } from "./resume.js";
import { ScriptRunner } from "./scripts/script-runner.js";
import { createStates } from "./states/index.js";
import { EVENTS } from "../logging/event-ids.js";

/** How a run of the machine ended. */
export type DeploymentOutcome =
  | { kind: "nothing" }
  | {
      kind: "rebooting" | "success" | "failure" | "rolled-back" | "inconsistent";
      deploymentId: string;
      artifactName: string;
      /** The last state entered. */
      state: StateName;
      /** For "rebooting": true when a reboot was requested, false when it waits for `resume` (install without --reboot). */
      rebootRequested?: boolean;
      /** The deployment's first error, for failures. */
      error?: { code: string; message: string; state: string };
      /** What Download produced (absent when it never finished). */
      download?: DownloadResult;
    };

export interface StartOptions {
  server?: DeploymentServer;
  /** Install policy hook, asked after the download (see RunOptions.beforeInstall): the daemon's install windows. */
  beforeInstall?: RunOptions["beforeInstall"];
  /** May the machine reboot into the trial by itself? Standalone `install` without --reboot: false. */
  reboot: boolean;
  signal: AbortSignal;
  onProgress?: (progress: InstallProgress) => void;
  onState?: (state: StateName) => void;
}

export interface ResumeOptions {
  server?: DeploymentServer;
  signal: AbortSignal;
  onProgress?: (progress: InstallProgress) => void;
  onState?: (state: StateName) => void;
}

/** What the runner needs from the install pipeline and the module registry (narrow, so tests pass fakes). */
export interface PipelinePort {
  download(request: DownloadRequest): Promise<DownloadResult>;
}
export interface ModuleRegistryPort {
  get(payloadType: string): UpdateModule;
}

/** Read errors that make the stored deployment record unusable (it is replaced by a recovery record). */
const UNUSABLE_RECORD: ReadonlySet<string> = new Set(["OTA_ERR_STORE_CORRUPT", "OTA_ERR_STATE_RECORD_INVALID", "OTA_ERR_STORE_SCHEMA"]);

/** Resumes past the store-count limit before the failure path runs without scripts and module calls. */
const GIVE_UP_AFTER = 3;

/** States in which `commit` continues the deployment (the trial was rebooted into, or commit was under way). */
const COMMITTABLE: ReadonlySet<string> = new Set(["ArtifactReboot", "ArtifactVerifyReboot", "ArtifactCommit", "AfterCommit"]);
/** States in which `rollback` is still possible (nothing committed yet). */
const ROLLBACKABLE: ReadonlySet<string> = new Set(["CheckRollback", "ArtifactInstall", "AwaitReboot", "ArtifactReboot", "ArtifactVerifyReboot", "ArtifactCommit"]);

/**
 * The deployment runner: standalone installs (`ota-agent install`, `resume`, `commit`, `rollback`) and the daemon
 * both drive deployments through it. Resolve it after the plugins are set up (it takes the optional bootloader
 * and every health check as they are then).
 */
@injectable()
export class DeploymentRunner {
  private readonly states = createStates();
  private readonly engine = new StateEngine(this.states);

  constructor(
    @inject(TOKENS.Platform) private readonly platform: Platform,
    @inject(TOKENS.StateStore) private readonly store: StateStore,
    @inject(TOKENS.Config) private readonly config: AgentConfig,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(TOKENS.AgentInfo) private readonly agent: AgentInfo,
    @inject(TOKENS.InstallPipeline) private readonly pipeline: PipelinePort,
    @inject(TOKENS.UpdateModuleRegistry) private readonly modules: ModuleRegistryPort,
    @inject(TOKENS.Bootloader, { isOptional: true }) private readonly bootloader?: Bootloader,
    @injectAll(TOKENS.HealthCheck, { isOptional: true }) private readonly healthChecks: readonly HealthCheck[] = [],
    @injectAll(TOKENS.BootTask, { isOptional: true }) private readonly bootTasks: readonly BootTask[] = [],
  ) {}

  /**
   * The in-progress deployment, if any. An unreadable record (the store moves it aside on the first read, whoever
   * reads it) is replaced at once by a durable recovery record that takes the rollback path, so the deployment is
   * never silently forgotten with a trial armed.
   */
  async current(): Promise<DeploymentRecord | undefined> {
    try {
      return await this.store.read(RECORD_KEYS.deployment, parseDeploymentRecord);
    } catch (err) {
      // A record of a newer schema was written by a newer agent in a trial that was then rolled back to us.
      if (!isOtaError(err) || !UNUSABLE_RECORD.has(err.code)) throw err;
      this.log.error({ event: EVENTS.deploymentRecordInvalid, code: err.code }, `deployment record unusable, rolling back: ${err.message}`);
      const record = this.recoveryRecord(err);
      await this.store.write(RECORD_KEYS.deployment, record);
      return record;
    }
  }

  /** Stands in for a lost record: state CheckRollback (never saved by a state, so it resumes on the rollback path). */
  private recoveryRecord(err: OtaError): DeploymentRecord {
    const now = new Date(this.platform.clock.now()).toISOString();
    return {
      schemaVersion: DEPLOYMENT_RECORD_SCHEMA_VERSION,
      deployment: { id: "unknown", artifactName: "unknown", uri: "", policy: { download: "forced", update: "forced" }, server: "unknown" },
      state: "CheckRollback",
      storeCount: 0,
      standalone: true,
      rebootAllowed: true,
      workDir: `${this.config.dataDir.replace(/\/+$/, "")}/deployments/unknown`,
      progress: { installStarted: true, rebootStarted: true, committed: false },
      tracking: "failed",
      error: { code: err.code, message: err.message, state: "resume" },
      aborted: false,
      log: [],
      startedAt: now,
      updatedAt: now,
    };
  }

  /**
   * The installed artifact; on first use initialised from artifact_info, and stored unless `persist` is false
   * (read-only commands such as `status` never write).
   */
  async installed(options: { persist?: boolean } = {}): Promise<ProvidesRecord> {
    const stored = await this.store.read(RECORD_KEYS.provides, parseProvidesRecord);
    if (stored) return stored;
    const initial = await initialProvides(this.platform, this.config.stateMachine.artifactInfo);
    if (options.persist !== false) await this.store.write(RECORD_KEYS.provides, initial);
    return initial;
  }

  /** The bootloader's view, when a bootloader plugin is loaded. */
  bootState(): Promise<BootState> | undefined {
    return this.bootloader?.state();
  }

  /** The last finished deployment's result, for `status`. */
  async lastResult(): Promise<LastResult | undefined> {
    return this.store.read(RECORD_KEYS.lastResult, (raw) => LastResultSchema.parse(raw));
  }

  /** Starts a new deployment. Throws OTA_ERR_STATE_IN_PROGRESS when one is under way (resume or roll it back). */
  async start(deployment: Deployment, options: StartOptions): Promise<DeploymentOutcome> {
    const existing = await this.current();
    if (existing) {
      throw new OtaError(
        "OTA_ERR_STATE_IN_PROGRESS",
        `deployment ${existing.deployment.id} (${existing.deployment.artifactName || existing.deployment.uri}) is in progress at ${existing.state}: resume or roll it back first`,
        { details: { deploymentId: existing.deployment.id, state: existing.state } },
      );
    }
    const installed = await this.installed();
    const now = new Date(this.platform.clock.now()).toISOString();
    const record: DeploymentRecord = {
      schemaVersion: DEPLOYMENT_RECORD_SCHEMA_VERSION,
      deployment: { ...deployment },
      state: "Sync",
      storeCount: 0,
      standalone: !options.server,
      rebootAllowed: options.reboot,
      workDir: `${this.config.dataDir.replace(/\/+$/, "")}/deployments/${safeId(deployment.id)}`,
      progress: { installStarted: false, rebootStarted: false, committed: false },
      tracking: "no-failures",
      aborted: false,
      log: [],
      startedAt: now,
      updatedAt: now,
    };
    const ctx = new DeploymentContext(this.services(), record, installed, options);
    return this.outcome(ctx, await this.engine.run(ctx, "Sync"));
  }

  /** Continues the deployment in progress (after a reboot or a power cut), or reports "nothing". */
  async resume(options: ResumeOptions): Promise<DeploymentOutcome> {
    const record = await this.current();
    if (!record) return { kind: "nothing" };
    // A resume is an explicit go-ahead: a deployment waiting at AwaitReboot now reboots into its trial.
    record.rebootAllowed = true;
    const ctx = new DeploymentContext(this.services(), record, await this.installed(), options);
    const start = await this.countResume(ctx);
    ctx.log.info({ event: EVENTS.deploymentResume, stored: record.state, next: start }, `resuming deployment at ${start} (stored ${record.state})`);
    return this.outcome(ctx, await this.engine.run(ctx, start));
  }

  /** `ota-agent commit`: continues a deployment waiting for (or in) its commit; else OTA_ERR_STATE_NOT_APPLICABLE. */
  async commit(options: ResumeOptions): Promise<DeploymentOutcome> {
    const record = await this.current();
    if (!record) return { kind: "nothing" };
    if (!COMMITTABLE.has(record.state)) {
      throw new OtaError("OTA_ERR_STATE_NOT_APPLICABLE", `deployment ${record.deployment.id} is at ${record.state}: nothing to commit yet (reboot into the trial first: ota-agent resume)`, {
        details: { state: record.state },
      });
    }
    return this.resume(options);
  }

  /** `ota-agent rollback`: abandons a deployment that has not committed, through the rollback path. */
  async rollback(options: ResumeOptions): Promise<DeploymentOutcome> {
    const record = await this.current();
    if (!record) return { kind: "nothing" };
    if (!ROLLBACKABLE.has(record.state)) {
      throw new OtaError("OTA_ERR_STATE_NOT_APPLICABLE", `deployment ${record.deployment.id} is at ${record.state}: past the point of rollback`, {
        details: { state: record.state },
      });
    }
    const ctx = new DeploymentContext(this.services(), record, await this.installed(), options);
    const start = await this.countResume(ctx);
    if (start === "StateLoop") return this.outcome(ctx, await this.engine.run(ctx, start));
    ctx.fail(record.state, new OtaError("OTA_ERR_STATE_ABORTED", "rollback requested by the operator"));
    return this.outcome(ctx, await this.engine.run(ctx, "CheckRollback"));
  }

  /**
   * A resume counts as a save (Mender): past the limit the deployment goes to StateLoop. The count is written
   * even past the limit, so a failure path that itself never completes (power lost in an ArtifactFailure script
   * at every boot) is abandoned after GIVE_UP_AFTER more resumes: scripts and module calls are then skipped and
   * the deployment is finished and reported. Every run therefore ends.
   */
  private async countResume(ctx: DeploymentContext): Promise<StateName> {
    const record = ctx.record;
    const count = record.storeCount + 1;
    const max = this.config.stateMachine.maxStoreCount;
    ctx.record = { ...record, storeCount: count };
    if (count > max + GIVE_UP_AFTER) ctx.record.abandoned = true;
    await ctx.flush();
    if (count > max) {
      ctx.fail(record.state, new OtaError("OTA_ERR_STATE_LOOP", `deployment ${record.deployment.id} resumed ${count} times: stopping a loop`));
      return "StateLoop";
    }
    return resumeTarget(this.states, record.state);
  }

  private outcome(ctx: DeploymentContext, stop: EngineStop): DeploymentOutcome {
    const record = ctx.record;
    const base = {
      deploymentId: record.deployment.id,
      artifactName: record.download?.artifactName ?? record.deployment.artifactName,
      state: stop.stoppedAt,
      ...(record.download ? { download: record.download } : {}),
    };
    if (stop.next) return { kind: "rebooting", ...base, rebootRequested: stop.stoppedAt !== "AwaitReboot" };
    const kind = record.result ?? "failure";
    return record.error && kind !== "success" ? { kind, ...base, error: record.error } : { kind, ...base };
  }

  private services(): DeploymentServices {
    const sm = this.config.stateMachine;
    const services: DeploymentServices = {
      platform: this.platform,
      store: this.store,
      log: this.log,
      install: {
        download: (request) => this.pipeline.download(request),
        moduleFor: (type) => this.modules.get(type),
        moduleContext: makeModuleContext,
      },
      scripts: new ScriptRunner(this.platform, this.config.stateScripts),
      health: new HealthGate(this.platform, () => this.healthChecks, this.config.health),
      rootfsScriptsDir: this.config.stateScripts.dir,
      postCommitTasks: this.bootTasks.filter((t) => t.phases.includes("post-commit")),
      maxStoreCount: sm.maxStoreCount,
      logLines: sm.logLines,
    };
    if (this.bootloader) services.bootloader = this.bootloader;
    if (this.agent.deviceType) services.deviceType = this.agent.deviceType;
    return services;
  }
}

/** A deployment id as a directory name: server ids are uuids or numbers, but never trust them with a path. */
function safeId(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return clean.length > 0 && clean.length <= 100 ? clean : randomUUID();
}
