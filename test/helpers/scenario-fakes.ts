// Test helper: a fake device for state-machine unit tests — bootloader, slot module, pipeline and server that log calls.
import { mkdtemp, rm, mkdir, writeFile, chmod, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BootTask, BootTaskContext } from "../../core/capabilities/boot-task.js";
import type { Bootloader, BootState } from "../../core/capabilities/bootloader.js";
import type {
  Deployment,
  DeploymentLogLine,
  DeploymentServer,
  NothingToDo,
  StatusReport,
} from "../../core/capabilities/deployment-server.js";
import type { HealthCheck, HealthResult } from "../../core/capabilities/health-check.js";
import { otherSlot, type SlotName } from "../../core/capabilities/slot-resolver.js";
import type { ModuleContext, PayloadFile, RebootNeed, UpdateModule } from "../../core/capabilities/update-module.js";
import { AgentConfigSchema, type AgentConfigInput } from "../../core/config/schema.js";
import { OtaError } from "../../core/errors/index.js";
import type { DownloadRequest, DownloadResult } from "../../core/install/download-types.js";
import { NodePlatform } from "../../core/platform/index.js";
import { FileStateStore } from "../../core/store/index.js";
import { DeploymentRunner } from "../../core/state-machine/deployment-runner.js";
import { PLATFORM_HALT, isPlatformHalt } from "../../core/state-machine/halt.js";
import { createLogSink, type LogSink } from "./log-sink.js";

/** Thrown by the fake reboot: like the simulator's SimHalt, nothing after a reboot runs (marked as a platform halt). */
export class FakeHalt extends Error {
  readonly [PLATFORM_HALT] = true;
  constructor(arg: string) {
    super(`fake reboot ${arg}`);
    this.name = "SimHalt";
  }
}

/** What the next boot of the trial slot does. */
export type TrialBehaviour = "boots" | "panics";

/** A tryboot-like bootloader in memory: one-shot trial flag, committed default, arm/disarm/commit. */
export class FakeBootloader implements Bootloader {
  readonly name = "fake";
  booted: SlotName = "a";
  committed: SlotName = "a";
  trial = false;
  /** Where a trial reboot would go (== committed when disarmed). */
  tryboot: SlotName = "a";
  pendingReboot: { trial: boolean } | undefined;
  trialBehaviour: TrialBehaviour = "boots";

  constructor(private readonly chain: string[]) {}

  async state(): Promise<BootState> {
    return { booted: this.booted, committed: this.committed, trial: this.trial, armed: this.tryboot === this.committed ? null : this.tryboot };
  }
  async armTrial(target: SlotName): Promise<void> {
    this.chain.push(`boot:arm:${target}`);
    this.tryboot = target;
  }
  async disarm(): Promise<void> {
    this.chain.push("boot:disarm");
    this.tryboot = this.committed;
  }
  async commit(slot: SlotName): Promise<void> {
    this.chain.push(`boot:commit:${slot}`);
    this.committed = slot;
    this.tryboot = slot;
  }
  async reboot(options: { trial: boolean }): Promise<void> {
    this.chain.push(`boot:reboot:${options.trial ? "trial" : "normal"}`);
    this.pendingReboot = options;
    throw new FakeHalt(options.trial ? "0 tryboot" : "");
  }

  /** Performs the pending reboot (or a power-on): the firmware's one-shot trial with fallback on a panic. */
  boot(): void {
    const flagged = this.pendingReboot?.trial === true;
    const armed = this.tryboot !== this.committed;
    this.pendingReboot = undefined;
    if (flagged && armed && this.trialBehaviour === "boots") {
      this.booted = this.tryboot;
      this.trial = true;
    } else if (flagged && !armed) {
      // the firmware takes the flag, but [tryboot] names the committed slot: a "trial" of the committed slot
      this.booted = this.committed;
      this.trial = true;
    } else {
      this.booted = this.committed;
      this.trial = false;
    }
  }
}

export interface ModuleFaults {
  /** State names (UpdateModule method names) that throw. */
  failIn?: Set<keyof UpdateModule>;
  rollback?: boolean;
}

/** The rpi-ab-slot module's behaviour, over the fake bootloader, logging each call. */
export class FakeSlotModule implements UpdateModule {
  readonly payloadType = "rpi-ab-slot";
  target: SlotName | undefined;
  previous: SlotName | undefined;

  constructor(
    private readonly chain: string[],
    private readonly boot: FakeBootloader,
    public faults: ModuleFaults = {},
  ) {}

  private async call(state: keyof UpdateModule): Promise<void> {
    this.chain.push(state);
    if (this.faults.failIn?.has(state)) throw new OtaError("OTA_ERR_MODULE_FAILED", `fake module fails in ${state}`);
  }
  async download(_ctx: ModuleContext, files: AsyncIterable<PayloadFile>): Promise<void> {
    for await (const f of files) f.stream.resume();
    await this.call("download");
  }
  async artifactInstall(): Promise<void> {
    await this.call("artifactInstall");
    const st = await this.boot.state();
    this.previous = st.committed;
    this.target = otherSlot(st.booted);
    await this.boot.armTrial(this.target);
  }
  async needsArtifactReboot(): Promise<RebootNeed> {
    return "Yes";
  }
  async artifactReboot(): Promise<void> {
    await this.call("artifactReboot");
    await this.boot.reboot({ trial: true });
  }
  async artifactVerifyReboot(): Promise<void> {
    await this.call("artifactVerifyReboot");
    const st = await this.boot.state();
    if (!st.trial || st.booted === st.committed) throw new OtaError("OTA_ERR_INSTALL_VERIFY_REBOOT", `booted ${st.booted}, not a trial`);
  }
  async artifactCommit(): Promise<void> {
    await this.call("artifactCommit");
    await this.boot.commit((await this.boot.state()).booted);
  }
  async supportsRollback(): Promise<boolean> {
    return this.faults.rollback ?? true;
  }
  async artifactRollback(): Promise<void> {
    await this.call("artifactRollback");
    await this.boot.disarm();
  }
  async artifactRollbackReboot(): Promise<void> {
    await this.call("artifactRollbackReboot");
    await this.boot.reboot({ trial: false });
  }
  async artifactVerifyRollbackReboot(): Promise<void> {
    await this.call("artifactVerifyRollbackReboot");
    const st = await this.boot.state();
    if (st.trial || st.booted !== st.committed) throw new OtaError("OTA_ERR_INSTALL_VERIFY_REBOOT", "still on the trial");
  }
  async artifactFailure(): Promise<void> {
    await this.call("artifactFailure");
    await this.boot.disarm();
  }
  async cleanup(): Promise<void> {
    await this.call("cleanup");
  }
}

/** Download that "writes" the artifact: a one-payload rpi-ab-slot result, or an error. */
export class FakePipeline {
  fail: OtaError | undefined;
  scriptsDir: string | undefined;
  constructor(private readonly chain: string[]) {}
  async download(request: DownloadRequest): Promise<DownloadResult> {
    this.chain.push("Download");
    if (this.fail) throw this.fail;
    const result: DownloadResult = {
      artifactName: request.name ?? "release-2",
      deviceTypes: ["raspberrypi5"],
      provides: { artifact_name: request.name ?? "release-2", "rootfs-image.version": "2" },
      clearsProvides: ["rootfs-image.*"],
      depends: {},
      payloads: [{ index: 0, type: "rpi-ab-slot", typeInfo: { type: "rpi-ab-slot" }, metaData: {} }],
      bytesRead: 1024,
      sha256: "00",
      format: "mender",
    };
    if (this.scriptsDir) result.scriptsDir = this.scriptsDir;
    return result;
  }
}

/** A server that records status reports and can answer "aborted" at a given status. */
export class FakeServer implements DeploymentServer {
  readonly name = "fake-server";
  statuses: string[] = [];
  logs: DeploymentLogLine[][] = [];
  abortAt: string | undefined;
  async authenticate(): Promise<void> {}
  async nextDeployment(): Promise<Deployment | NothingToDo> {
    return { kind: "nothing" };
  }
  async reportStatus(_d: Deployment, report: StatusReport): Promise<"ok" | "aborted"> {
    this.statuses.push(report.status);
    return report.status === this.abortAt ? "aborted" : "ok";
  }
  async uploadLog(_d: Deployment, lines: readonly DeploymentLogLine[]): Promise<void> {
    this.logs.push([...lines]);
  }
  async sendInventory(): Promise<void> {}
}

export class FakeHealth implements HealthCheck {
  readonly name = "fake-health";
  result: HealthResult = { ok: true };
  async check(): Promise<HealthResult> {
    return this.result;
  }
}

export interface FakeDevice {
  dir: string;
  sysroot: string;
  chain: string[];
  bootloader: FakeBootloader;
  module: FakeSlotModule;
  pipeline: FakePipeline;
  health: FakeHealth;
  /** A post-commit BootTask recording each run. */
  bootTask: BootTask & { runs: BootTaskContext[] };
  logs: LogSink;
  /** A fresh runner, as a restarted agent would build it. */
  runner(): DeploymentRunner;
  /** Writes an executable script into a device dir (e.g. the artifact scripts dir), logging its name into the chain. */
  script(deviceDir: string, name: string, body?: string): Promise<void>;
  /** Names of scripts that ran, in order (read from their log file). */
  scriptsRun(): Promise<string[]>;
  close(): Promise<void>;
}

export function deployment(id = "dep-1", name = "release-2"): Deployment {
  return { id, artifactName: name, uri: "/tmp/release-2.mender", policy: { download: "forced", update: "forced" }, server: "standalone" };
}

/** A temp sysroot with the data dir, a fake bootloader on slot a and the fake module, pipeline and health check. */
export async function createFakeDevice(config: Partial<AgentConfigInput> = {}): Promise<FakeDevice> {
  const dir = await mkdtemp(join(tmpdir(), "ota-sm-"));
  const sysroot = join(dir, "sysroot");
  await mkdir(join(sysroot, "data"), { recursive: true });
  await mkdir(join(sysroot, "etc/ota-agent/scripts"), { recursive: true });
  await writeFile(join(sysroot, "etc/ota-agent/artifact_info"), "artifact_name=release-1\nrootfs-image.version=1\n");
  const scriptLog = join(dir, "scripts.log");
  await writeFile(scriptLog, "");
  const chain: string[] = [];
  const bootloader = new FakeBootloader(chain);
  const module = new FakeSlotModule(chain, bootloader);
  const pipeline = new FakePipeline(chain);
  const health = new FakeHealth();
  const bootTask: BootTask & { runs: BootTaskContext[] } = {
    name: "fake-post-commit",
    phases: ["post-commit"],
    runs: [],
    async run(ctx) {
      this.runs.push(ctx);
    },
  };
  const logs = createLogSink("info");
  const parsed = AgentConfigSchema.parse({
    sysroot,
    dataDir: "/data",
    deviceType: "raspberrypi5",
    ...config,
    stateScripts: { retryIntervalMs: 10, retryTimeoutMs: 200, timeoutMs: 5_000, ...(config.stateScripts ?? {}) },
    health: { deadlineMs: 2_000, ...(config.health ?? {}) },
  });
  return {
    dir,
    sysroot,
    chain,
    bootloader,
    module,
    pipeline,
    health,
    bootTask,
    logs,
    runner() {
      const platform = new NodePlatform({ sysroot });
      const store = new FileStateStore(platform, parsed.dataDir);
      return new DeploymentRunner(
        platform,
        store,
        parsed,
        logs.logger,
        { version: "0.1.0", deviceType: "raspberrypi5", dataDir: parsed.dataDir, sysroot },
        pipeline,
        { get: () => module },
        bootloader,
        [health],
        [bootTask],
      );
    },
    async script(deviceDir, name, body = "exit 0") {
      const host = join(sysroot, deviceDir);
      await mkdir(host, { recursive: true });
      const file = join(host, name);
      await writeFile(file, `#!/bin/sh\necho "${name}" >> "${scriptLog}"\n${body}\n`);
      await chmod(file, 0o755);
    },
    async scriptsRun() {
      return (await readFile(scriptLog, "utf8")).split("\n").filter(Boolean);
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn`; when it ends in a (fake or simulated) reboot, returns "halted" instead of throwing. */
export async function untilHalt<T>(fn: () => Promise<T>): Promise<T | "halted"> {
  try {
    return await fn();
  } catch (err) {
    if (isPlatformHalt(err)) return "halted";
    throw err;
  }
}
