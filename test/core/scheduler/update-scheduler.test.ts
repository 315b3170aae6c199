// The daemon's loop on a fake clock: start-up rounds, poll intervals, backoff, server delays, triggers, deployments.
import { describe, expect, it } from "vitest";
import type { Deployment, DeploymentServer, InstalledState, NothingToDo, ServerPollPolicy } from "../../../core/capabilities/deployment-server.js";
import type { Clock, Platform } from "../../../core/capabilities/platform.js";
import { AgentConfigSchema } from "../../../core/config/schema.js";
import { OtaError } from "../../../core/errors/index.js";
import { MaintenanceWindows } from "../../../core/scheduler/maintenance-windows.js";
import { UpdateScheduler, type RunnerPort } from "../../../core/scheduler/update-scheduler.js";
import { AgentStopping } from "../../../core/scheduler/agent-stopping.js";
import type { DeploymentRecord } from "../../../core/state-machine/deployment-record.js";
import type { DeploymentOutcome, StartOptions } from "../../../core/state-machine/deployment-runner.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";

/** Time moves only when the loop sleeps; `hold` makes sleeps wait for an abort (a trigger or the stop). */
class FakeClock implements Clock {
  t = Date.parse("2026-11-21T00:00:00Z");
  readonly sleeps: number[] = [];
  hold = false;
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = this.hold ? undefined : setImmediate(() => {
        signal?.removeEventListener("abort", onAbort);
        this.t += ms;
        resolve();
      });
      const onAbort = (): void => {
        if (timer) clearImmediate(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

const POLICY: ServerPollPolicy = { updatePollIntervalMs: 1_800_000, inventoryPollIntervalMs: 28_800_000, retryPollIntervalMs: 300_000, retryPollCount: 0 };

class FakeServer implements DeploymentServer {
  readonly name = "fake";
  readonly calls: string[] = [];
  /** What each nextDeployment answers, in order; afterwards NothingToDo. */
  answers: (Deployment | NothingToDo | Error)[] = [];
  inventoryFails: Error[] = [];
  readonly inventories: Record<string, string | string[]>[] = [];
  constructor(private readonly clock: FakeClock) {}
  async authenticate(): Promise<void> {}
  async nextDeployment(installed: InstalledState): Promise<Deployment | NothingToDo> {
    this.calls.push(`next@${this.clock.t} ${installed.artifactName}`);
    const a = this.answers.shift() ?? { kind: "nothing" };
    if (a instanceof Error) throw a;
    return a;
  }
  async reportStatus(): Promise<"ok"> {
    return "ok";
  }
  async uploadLog(): Promise<void> {}
  async sendInventory(attributes: Record<string, string | string[]>): Promise<void> {
    this.calls.push(`inventory@${this.clock.t}`);
    const e = this.inventoryFails.shift();
    if (e) throw e;
    this.inventories.push(attributes);
  }
  pollPolicy(): ServerPollPolicy {
    return POLICY;
  }
}

class FakeRunner implements RunnerPort {
  readonly started: { deployment: Deployment; options: StartOptions }[] = [];
  resumed = 0;
  record: DeploymentRecord | undefined;
  outcome: DeploymentOutcome["kind"] = "success";
  async start(deployment: Deployment, options: StartOptions): Promise<DeploymentOutcome> {
    this.started.push({ deployment, options });
    return { kind: this.outcome as "success", deploymentId: deployment.id, artifactName: deployment.artifactName, state: "Idle" };
  }
  async resume(): Promise<DeploymentOutcome> {
    this.resumed++;
    const r = this.record;
    this.record = undefined;
    return r ? { kind: "success", deploymentId: r.deployment.id, artifactName: r.deployment.artifactName, state: "Idle" } : { kind: "nothing" };
  }
  async installed() {
    return { schemaVersion: 1 as const, artifactName: "release-1", provides: { "rootfs-image.version": "1" } };
  }
  async current() {
    return this.record;
  }
  async lastResult() {
    return undefined;
  }
}

const DEPLOYMENT: Deployment = { id: "d-1", artifactName: "release-2", uri: "https://x/a", policy: { download: "forced", update: "forced" }, server: "fake" };

async function setup(schedule: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  const runner = new FakeRunner();
  const config = AgentConfigSchema.parse({ schedule: { jitterPercent: 0, ...schedule } });
  const scheduler = new UpdateScheduler({
    platform: { clock } as unknown as Platform,
    log: new MemoryLogger(),
    server,
    runner,
    deviceType: "raspberrypi5",
    schedule: config.schedule,
    windows: await MaintenanceWindows.parse(config.schedule.maintenanceWindows),
  });
  const stop = new AbortController();
  const running = scheduler.run(stop.signal).catch((e: unknown) => e);
  /** Lets the loop run until `cond` holds (it only advances through sleeps), then stops it. */
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
    if (!cond()) throw new Error("condition never held");
  };
  const end = async (): Promise<unknown> => {
    stop.abort(new AgentStopping("SIGTERM"));
    return running;
  };
  return { clock, server, runner, scheduler, until, end, start: Date.parse("2026-11-21T00:00:00Z") };
}

describe("UpdateScheduler", () => {
  it("sends inventory and checks at start, then checks every update poll interval", async () => {
    const s = await setup();
    await s.until(() => s.server.calls.filter((c) => c.startsWith("next")).length >= 3);
    await s.end();
    expect(s.server.calls.slice(0, 4)).toEqual([
      `inventory@${s.start}`,
      `next@${s.start} release-1`,
      `next@${s.start + 1_800_000} release-1`,
      `next@${s.start + 3_600_000} release-1`,
    ]);
    // The installed artifact's provides go with the inventory (what the server shows the device runs).
    expect(s.server.inventories[0]).toMatchObject({ artifact_name: "release-1", device_type: "raspberrypi5", "rootfs-image.version": "1" });
  });

  it("server-unreachable-backs-off 60 s, 60 s, 60 s, 120 s... then honours a 429 Retry-After", async () => {
    const s = await setup();
    const down = (): OtaError => new OtaError("OTA_ERR_SERVER_UNREACHABLE", "refused");
    s.server.answers = [down(), down(), down(), down(), new OtaError("OTA_ERR_SERVER_RATE_LIMITED", "429", { details: { retryAfterMs: 7_000 } })];
    await s.until(() => s.server.calls.filter((c) => c.startsWith("next")).length >= 7);
    await s.end();
    const times = s.server.calls.filter((c) => c.startsWith("next")).map((c) => Number(/@(\d+)/.exec(c)![1]) - s.start);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 6)).toEqual([60_000, 60_000, 60_000, 120_000, 7_000, 1_800_000]);
  });

  it("pending-device-inventory-after-first-204: a failed first inventory is sent right after the first successful poll", async () => {
    const s = await setup();
    // The first inventory is refused (the device was still pending); the operator accepts it before the first poll.
    s.server.inventoryFails = [new OtaError("OTA_ERR_SERVER_UNAUTHORIZED", "pending")];
    await s.until(() => s.server.inventories.length >= 1);
    await s.end();
    // At once after the 204, not after the inventory's own 60 s backoff (Mender: new devices show up fast).
    expect(s.server.calls.slice(0, 3)).toEqual([`inventory@${s.start}`, `next@${s.start} release-1`, `inventory@${s.start}`]);
  });

  it("hawkbit-sleep-honoured: a server-requested delay replaces the poll interval", async () => {
    const s = await setup({ updatePollIntervalSeconds: 600 });
    s.server.answers = [{ kind: "nothing", retryAfterMs: 30_000 }, { kind: "nothing" }];
    await s.until(() => s.server.calls.filter((c) => c.startsWith("next")).length >= 3);
    await s.end();
    const times = s.server.calls.filter((c) => c.startsWith("next")).map((c) => Number(/@(\d+)/.exec(c)![1]) - s.start);
    expect(times.slice(0, 3)).toEqual([0, 30_000, 30_000 + 600_000]);
  });

  it("check-update wakes the idle loop at once and answers with what the poll found", async () => {
    const s = await setup();
    s.clock.hold = true; // the idle wait after the start-up rounds lasts until something wakes it
    await s.until(() => s.server.calls.some((c) => c.startsWith("next")));
    s.server.answers = [DEPLOYMENT];
    const result = await s.scheduler.checkNow();
    expect(result).toMatchObject({ kind: "deployment", deploymentId: "d-1", artifactName: "release-2" });
    await s.until(() => s.runner.started.length === 1);
    await s.end();
    expect(s.clock.t).toBe(s.start); // no time passed: the trigger, not the timer, made the poll
    const opts = s.runner.started[0]!.options;
    expect(opts.reboot).toBe(true);
    expect(opts.server).toBe(s.server);
    expect(typeof opts.beforeInstall).toBe("function");
  });

  it("sends the inventory again right after a deployment ends", async () => {
    const s = await setup();
    s.server.answers = [DEPLOYMENT];
    await s.until(() => s.server.calls.filter((c) => c.startsWith("inventory")).length >= 2);
    await s.end();
    expect(s.server.calls.slice(0, 3)).toEqual([`inventory@${s.start}`, `next@${s.start} release-1`, `inventory@${s.start}`]);
  });

  it("resumes a persisted deployment before the first rounds", async () => {
    const clock = new FakeClock();
    const server = new FakeServer(clock);
    const runner = new FakeRunner();
    runner.record = { deployment: DEPLOYMENT, state: "ArtifactReboot" } as unknown as DeploymentRecord;
    const resume = runner.resume.bind(runner);
    runner.resume = async () => {
      server.calls.push("resume");
      return resume();
    };
    const config = AgentConfigSchema.parse({ schedule: { jitterPercent: 0 } });
    const scheduler = new UpdateScheduler({
      platform: { clock } as unknown as Platform,
      log: new MemoryLogger(),
      server,
      runner,
      deviceType: "raspberrypi5",
      schedule: config.schedule,
      windows: await MaintenanceWindows.parse([]),
    });
    const stop = new AbortController();
    const running = scheduler.run(stop.signal).catch((e: unknown) => e);
    for (let i = 0; i < 100 && !server.calls.some((c) => c.startsWith("next")); i++) await new Promise((r) => setImmediate(r));
    stop.abort(new AgentStopping("SIGTERM"));
    expect(await running).toBeInstanceOf(AgentStopping);
    const t0 = Date.parse("2026-11-21T00:00:00Z");
    expect(server.calls.slice(0, 3)).toEqual(["resume", `inventory@${t0}`, `next@${t0} release-1`]);
  });

  it("a stop ends the loop with the stop reason and answers waiting triggers", async () => {
    const s = await setup();
    await s.until(() => s.server.calls.some((c) => c.startsWith("next")));
    s.clock.hold = true;
    const reason = await s.end();
    expect(reason).toBeInstanceOf(AgentStopping);
    expect(s.scheduler.status().phase).toBe("stopped");
  });
});
