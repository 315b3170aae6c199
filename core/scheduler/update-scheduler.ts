// The daemon's loop: resume an interrupted deployment, then poll for updates and send inventory on their timers.
import type { Deployment, DeploymentServer, InstalledState, ServerPollPolicy } from "../capabilities/deployment-server.js";
import type { Platform } from "../capabilities/platform.js";
import type { AgentConfig } from "../config/schema.js";
import { asOtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import type { DeploymentRecord, LastResult, ProvidesRecord } from "../state-machine/deployment-record.js";
import type { DeploymentOutcome, ResumeOptions, StartOptions } from "../state-machine/deployment-runner.js";
import type { StateName } from "../state-machine/events.js";
import { isPlatformHalt } from "../state-machine/halt.js";
import { flattenProvides } from "../state-machine/provides.js";
import { createInstallGate } from "./install-gate.js";
import type { MaintenanceWindows } from "./maintenance-windows.js";
import { DEFAULT_POLL_POLICY, delayAfterFailureMs, withJitter } from "./poll-timing.js";

/** The runner as the scheduler uses it (DeploymentRunner; tests pass a fake). */
export interface RunnerPort {
  start(deployment: Deployment, options: StartOptions): Promise<DeploymentOutcome>;
  resume(options: ResumeOptions): Promise<DeploymentOutcome>;
  installed(): Promise<ProvidesRecord>;
  current(): Promise<DeploymentRecord | undefined>;
  lastResult(): Promise<LastResult | undefined>;
}

export interface UpdateSchedulerOptions {
  platform: Platform;
  log: Logger;
  server: DeploymentServer;
  runner: RunnerPort;
  deviceType: string;
  schedule: AgentConfig["schedule"];
  windows: MaintenanceWindows;
  /** Runs the update checks at these times (self-update with a cron) instead of every poll interval. */
  checkTimes?: { msUntilNext(nowMs: number): number | undefined };
  /** Called on every change worth a systemd STATUS= line. */
  onStatus?: (text: string) => void;
  /** How long to wait for the OS to take the device down after a reboot request before giving up on it, ms. */
  rebootWaitMs?: number;
  random?: () => number;
}

/** What a check did, for `ota-agent check-update` and the log. */
export type CheckResult =
  | { kind: "nothing"; nextCheckInMs: number }
  | { kind: "deployment"; deploymentId: string; artifactName: string; outcome?: DeploymentOutcome["kind"] }
  | { kind: "busy"; deploymentId?: string; state?: string }
  | { kind: "error"; code: string; message: string; nextCheckInMs: number };

export type InventoryResult = { kind: "sent"; nextInMs: number } | { kind: "error"; code: string; message: string; nextInMs: number };

export interface SchedulerStatus {
  phase: "starting" | "idle" | "checking" | "deploying" | "waiting-for-reboot" | "stopped";
  server: string;
  deployment?: { id: string; artifactName: string; state?: string };
  nextCheckAt?: string;
  nextInventoryAt?: string;
  lastCheck?: { at: string; result: CheckResult };
  lastInventory?: { at: string; result: InventoryResult };
}

interface Waiter<T> {
  resolve(value: T): void;
}

/** Mender waits this long for the reboot it asked for before it calls the reboot failed. */
const DEFAULT_REBOOT_WAIT_MS = 10 * 60_000;

/**
 * One instance per daemon. Everything runs on one async loop, so a check, an inventory round and a deployment
 * never overlap; requests from the control socket wake the loop and are answered when their round is done
 * (a check that finds a deployment answers as the deployment starts, not when it ends). Timers follow Mender
 * (mender.md §2.6): both rounds run at start; after a failure the server plugin's backoff (or Retry-After)
 * decides; a server-requested delay (hawkBit sleep) beats the configured interval; a device that has never
 * sent its inventory sends it right after the first successful poll.
 */
export class UpdateScheduler {
  private phase: SchedulerStatus["phase"] = "starting";
  private nextCheckAt = 0;
  private nextInventoryAt = 0;
  private checkFailures = 0;
  private inventoryFailures = 0;
  private inventorySent = false;
  private lastCheck?: { at: number; result: CheckResult };
  private lastInventory?: { at: number; result: InventoryResult };
  private deployment?: { id: string; artifactName: string; state?: StateName };
  private checkWaiters: Waiter<CheckResult>[] = [];
  private inventoryWaiters: Waiter<InventoryResult>[] = [];
  private wake = new AbortController();
  private readonly gate;

  constructor(private readonly o: UpdateSchedulerOptions) {
    this.gate = createInstallGate({
      policy: o.schedule.installPolicy,
      windows: o.windows,
      clock: o.platform.clock,
      log: o.log,
      server: o.server,
      installed: () => this.installedState(),
      serverRecheckMs: () => this.updateIntervalMs(),
    });
  }

  /**
   * Runs until `signal` aborts. Deployment failures are outcomes and never end the loop; only a stop (the
   * signal, or a platform halt such as the reboot of a simulated device) does, by rejecting with its reason.
   */
  async run(signal: AbortSignal): Promise<void> {
    const clock = this.o.platform.clock;
    try {
      await this.resumePending(signal);
      // Start-up rounds (Mender): inventory and a check now, also after a resumed deployment ended.
      this.nextCheckAt = 0;
      this.nextInventoryAt = 0;
      while (!signal.aborted) {
        if (this.inventoryWaiters.length > 0 || clock.now() >= this.nextInventoryAt) await this.inventoryRound(signal);
        if (signal.aborted) break;
        if (this.checkWaiters.length > 0 || clock.now() >= this.nextCheckAt) await this.checkRound(signal);
        if (signal.aborted) break;
        this.setPhase("idle");
        const waitMs = Math.max(0, Math.min(this.nextCheckAt, this.nextInventoryAt) - clock.now());
        if (waitMs > 0 && this.checkWaiters.length === 0 && this.inventoryWaiters.length === 0) await this.sleep(waitMs, signal);
      }
    } finally {
      this.phase = "stopped";
      const stopped = { kind: "error", code: "OTA_ERR_DAEMON_CONTROL", message: "the daemon is stopping", nextCheckInMs: 0, nextInMs: 0 } as const;
      for (const w of this.checkWaiters.splice(0)) w.resolve(stopped);
      for (const w of this.inventoryWaiters.splice(0)) w.resolve(stopped);
    }
  }

  /** Asks for a check now (`ota-agent check-update`, SIGUSR1); resolves with what it found. */
  checkNow(): Promise<CheckResult> {
    if (this.phase === "deploying" || this.phase === "waiting-for-reboot") {
      return Promise.resolve({ kind: "busy", ...(this.deployment ? { deploymentId: this.deployment.id, state: this.deployment.state ?? "" } : {}) });
    }
    return new Promise((resolve) => {
      this.checkWaiters.push({ resolve });
      this.wake.abort();
    });
  }

  /** Asks for an inventory round now (`ota-agent send-inventory`, SIGUSR2). */
  inventoryNow(): Promise<InventoryResult> {
    return new Promise((resolve) => {
      this.inventoryWaiters.push({ resolve });
      this.wake.abort();
    });
  }

  status(): SchedulerStatus {
    const iso = (ms: number): string => new Date(ms).toISOString();
    return {
      phase: this.phase,
      server: this.o.server.name,
      ...(this.deployment ? { deployment: { id: this.deployment.id, artifactName: this.deployment.artifactName, ...(this.deployment.state ? { state: this.deployment.state } : {}) } } : {}),
      ...(this.nextCheckAt > 0 ? { nextCheckAt: iso(this.nextCheckAt) } : {}),
      ...(this.nextInventoryAt > 0 ? { nextInventoryAt: iso(this.nextInventoryAt) } : {}),
      ...(this.lastCheck ? { lastCheck: { at: iso(this.lastCheck.at), result: this.lastCheck.result } } : {}),
      ...(this.lastInventory ? { lastInventory: { at: iso(this.lastInventory.at), result: this.lastInventory.result } } : {}),
    };
  }

  private policy(): ServerPollPolicy {
    return this.o.server.pollPolicy?.() ?? DEFAULT_POLL_POLICY;
  }

  private updateIntervalMs(): number {
    const s = this.o.schedule.updatePollIntervalSeconds;
    return s !== undefined ? s * 1000 : this.policy().updatePollIntervalMs;
  }

  private inventoryIntervalMs(): number {
    const s = this.o.schedule.inventoryPollIntervalSeconds;
    return s !== undefined ? s * 1000 : this.policy().inventoryPollIntervalMs;
  }

  private retryDelay(error: unknown, failures: number, regularMs: number): number {
    return this.o.server.retryDelayMs?.(error, failures, regularMs) ?? delayAfterFailureMs(error, failures, this.policy(), regularMs);
  }

  /** The regular delay to the next check: the cron's next time, a server-requested delay, or the interval. */
  private regularCheckDelay(serverRequestedMs?: number): number {
    const now = this.o.platform.clock.now();
    const cron = this.o.checkTimes?.msUntilNext(now);
    if (cron !== undefined) return cron;
    return withJitter(serverRequestedMs ?? this.updateIntervalMs(), this.o.schedule.jitterPercent, this.o.random);
  }

  private async installedState(): Promise<InstalledState> {
    const installed = await this.o.runner.installed();
    return { deviceType: this.o.deviceType, artifactName: installed.artifactName, provides: flattenProvides(installed) };
  }

  private async checkRound(signal: AbortSignal): Promise<void> {
    const waiters = this.checkWaiters.splice(0);
    const now = (): number => this.o.platform.clock.now();
    this.setPhase("checking");
    let result: CheckResult;
    let next: Awaited<ReturnType<DeploymentServer["nextDeployment"]>>;
    try {
      await this.o.server.authenticate(signal);
      next = await this.o.server.nextDeployment(await this.installedState(), signal);
      this.checkFailures = 0;
    } catch (err) {
      rethrowStop(err, signal);
      this.checkFailures++;
      const e = asOtaError(err, "OTA_ERR_INTERNAL", "update check");
      const delay = this.retryDelay(err, this.checkFailures, this.regularCheckDelay());
      this.nextCheckAt = now() + delay;
      result = { kind: "error", code: e.code, message: e.message, nextCheckInMs: delay };
      this.o.log.warn({ event: "schedule.check-failed", code: e.code, failures: this.checkFailures, retryInMs: delay }, `update check failed: ${e.message}`);
      this.finishCheck(waiters, result);
      return;
    }
    if (!("id" in next)) {
      const delay = this.regularCheckDelay(next.retryAfterMs);
      this.nextCheckAt = now() + delay;
      this.o.log.debug({ event: "schedule.check-nothing", nextCheckInMs: delay }, "no update");
      // A device accepted after a failed first inventory shows up in the UI right away (Mender).
      if (!this.inventorySent) this.nextInventoryAt = Math.min(this.nextInventoryAt, now());
      this.finishCheck(waiters, { kind: "nothing", nextCheckInMs: delay });
      return;
    }
    this.finishCheck(waiters, { kind: "deployment", deploymentId: next.id, artifactName: next.artifactName });
    this.o.log.info({ event: "schedule.deployment", deploymentId: next.id, artifactName: next.artifactName }, `deployment ${next.id}: ${next.artifactName}`);
    await this.deploy(() =>
      this.o.runner.start(next, {
        server: this.o.server,
        reboot: true,
        signal,
        beforeInstall: this.gate,
        onState: (state) => this.onState(state),
      }),
      { id: next.id, artifactName: next.artifactName },
      signal,
    );
  }

  private finishCheck(waiters: Waiter<CheckResult>[], result: CheckResult): void {
    this.lastCheck = { at: this.o.platform.clock.now(), result };
    for (const w of waiters) w.resolve(result);
  }

  private async inventoryRound(signal: AbortSignal): Promise<void> {
    const waiters = this.inventoryWaiters.splice(0);
    const now = (): number => this.o.platform.clock.now();
    let result: InventoryResult;
    try {
      await this.o.server.authenticate(signal);
      // The installed artifact's provides (artifact_name, rootfs-image.version...) and the device type, as
      // Mender's mender-inventory-provides script reports them: the server's view of what the device runs.
      const installed = await this.installedState();
      await this.o.server.sendInventory({ ...installed.provides, artifact_name: installed.artifactName, device_type: installed.deviceType }, signal);
      this.inventoryFailures = 0;
      this.inventorySent = true;
      const delay = withJitter(this.inventoryIntervalMs(), this.o.schedule.jitterPercent, this.o.random);
      this.nextInventoryAt = now() + delay;
      result = { kind: "sent", nextInMs: delay };
    } catch (err) {
      rethrowStop(err, signal);
      this.inventoryFailures++;
      const e = asOtaError(err, "OTA_ERR_INTERNAL", "inventory");
      const delay = this.retryDelay(err, this.inventoryFailures, this.inventoryIntervalMs());
      this.nextInventoryAt = now() + delay;
      result = { kind: "error", code: e.code, message: e.message, nextInMs: delay };
      this.o.log.warn({ event: "schedule.inventory-failed", code: e.code, failures: this.inventoryFailures, retryInMs: delay }, `inventory failed: ${e.message}`);
    }
    this.lastInventory = { at: now(), result };
    for (const w of waiters) w.resolve(result);
  }

  /** A deployment interrupted by a reboot or a stop continues first (verify, commit or roll back). */
  private async resumePending(signal: AbortSignal): Promise<void> {
    let record: DeploymentRecord | undefined;
    try {
      record = await this.o.runner.current();
    } catch {
      record = undefined; // an unreadable record: resume() takes the rollback path for it
      this.deployment = { id: "unknown", artifactName: "unknown" };
    }
    if (!record && !this.deployment) return;
    if (record) this.deployment = { id: record.deployment.id, artifactName: record.deployment.artifactName };
    const target = this.deployment as { id: string; artifactName: string };
    this.o.log.info({ event: "schedule.resume", deploymentId: target.id, state: record?.state }, `resuming deployment ${target.id}`);
    await this.deploy(() => this.o.runner.resume({ server: this.o.server, signal, onState: (state) => this.onState(state) }), target, signal);
  }

  private async deploy(run: () => Promise<DeploymentOutcome>, target: { id: string; artifactName: string }, signal: AbortSignal): Promise<void> {
    this.deployment = { ...target };
    this.setPhase("deploying");
    let outcome: DeploymentOutcome;
    try {
      outcome = await run();
    } catch (err) {
      rethrowStop(err, signal);
      const e = asOtaError(err, "OTA_ERR_INTERNAL", `deployment ${target.id}`);
      this.o.log.error({ event: "schedule.deployment-error", deploymentId: target.id, code: e.code }, e.message);
      this.checkFailures++;
      this.nextCheckAt = this.o.platform.clock.now() + this.retryDelay(err, this.checkFailures, this.regularCheckDelay());
      this.deployment = undefined;
      return;
    }
    if (outcome.kind === "rebooting") {
      this.setPhase("waiting-for-reboot");
      this.o.log.info({ event: "schedule.rebooting", deploymentId: target.id }, "waiting for the reboot");
      // On a device the OS stops the daemon now. Still running after the wait: the reboot did not happen, and the
      // resumed run finds the old slot booted and rolls back (Mender: ArtifactReboot error after 10 minutes).
      await this.o.platform.clock.sleep(this.o.rebootWaitMs ?? DEFAULT_REBOOT_WAIT_MS, signal);
      this.o.log.error({ event: "schedule.reboot-missing", deploymentId: target.id }, "the device did not reboot; resuming the deployment");
      return this.deploy(() => this.o.runner.resume({ server: this.o.server, signal, onState: (state) => this.onState(state) }), target, signal);
    }
    if (outcome.kind !== "nothing") {
      this.o.log.info({ event: "schedule.deployment-done", deploymentId: target.id, outcome: outcome.kind }, `deployment ${target.id} ended: ${outcome.kind}`);
    }
    if (this.lastCheck?.result.kind === "deployment" && this.lastCheck.result.deploymentId === target.id) this.lastCheck.result.outcome = outcome.kind;
    this.deployment = undefined;
    // Mender: inventory right after a deployment ends (the server shows the new artifact), next check on the timer.
    const now = this.o.platform.clock.now();
    this.nextInventoryAt = now;
    this.nextCheckAt = now + this.regularCheckDelay();
  }

  private onState(state: StateName): void {
    if (this.deployment) this.deployment.state = state;
    this.o.onStatus?.(`deployment ${this.deployment?.id ?? ""}: ${state}`);
  }

  private setPhase(phase: SchedulerStatus["phase"]): void {
    if (this.phase === phase) return;
    this.phase = phase;
    if (phase === "idle") this.o.onStatus?.(`idle; next check ${new Date(this.nextCheckAt).toISOString()}`);
    else if (phase === "checking") this.o.onStatus?.("checking for an update");
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    const wake = this.wake.signal;
    try {
      await this.o.platform.clock.sleep(ms, AbortSignal.any([signal, wake]));
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!wake.aborted) throw err;
    }
    if (this.wake.signal.aborted) this.wake = new AbortController();
  }
}

/** A stop (the daemon's signal) or a platform halt ends the loop; anything else is a failure of the round. */
function rethrowStop(err: unknown, signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
  if (isPlatformHalt(err)) throw err;
}

/** Exposed for the status command's text. */
export function describeCheck(result: CheckResult): string {
  switch (result.kind) {
    case "nothing":
      return `no update (next check in ${Math.round(result.nextCheckInMs / 1000)} s)`;
    case "deployment":
      return `deployment ${result.deploymentId}: ${result.artifactName}${result.outcome ? ` (${result.outcome})` : " started"}`;
    case "busy":
      return `a deployment is in progress${result.deploymentId ? ` (${result.deploymentId}${result.state ? ` at ${result.state}` : ""})` : ""}`;
    case "error":
      return `check failed: ${result.code}: ${result.message} (retry in ${Math.round(result.nextCheckInMs / 1000)} s)`;
  }
}
