// Test helper: runs whole deployments in-process on the simulated Raspberry Pi, rebooting and resuming like a device.
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import { pino } from "pino";
import { writeArtifact, rpiAbSlotWriteOptions } from "../../artifacts/index.js";
import type { Deployment } from "../../core/capabilities/deployment-server.js";
import type { UpdateModule } from "../../core/capabilities/update-module.js";
import { createAgent, type Agent } from "../../core/agent.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveAll, resolveOptional } from "../../core/di/resolve.js";
import type { Logger } from "../../core/logging/logger.js";
import { DeploymentRunner, type DeploymentOutcome } from "../../core/state-machine/deployment-runner.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import { SimDevice, isSimStop, makeSlotImages, type SimCutSpec, type SimDeviceOptions, type SlotBehaviour } from "../sim/index.js";
import type { FakeServer } from "./scenario-fakes.js";

/** Update-module calls that show up in a chain (queries are left out: they are asked more than once). */
const MODULE_STATES = [
  "artifactInstall",
  "artifactReboot",
  "artifactVerifyReboot",
  "artifactCommit",
  "artifactRollback",
  "artifactRollbackReboot",
  "artifactVerifyRollbackReboot",
  "artifactFailure",
  "cleanup",
] as const;

export interface ArtifactRecipe {
  name: string;
  version: string;
  behaviour?: SlotBehaviour;
  /** Artifact state scripts: name → shell body (each also logs its name into the chain). */
  scripts?: Record<string, string>;
  systemBytes?: number;
  /** Device type the artifact is for (default: the device's). */
  deviceType?: string;
}

export interface RunOptions {
  server?: FakeServer;
  /** Arm this cut before the deployment starts. */
  cut?: SimCutSpec;
  /** Reboots allowed before the run is declared stuck. */
  maxBoots?: number;
  /** Narration hook: every state entered (also recorded in `chain`). */
  onState?: (state: string) => void;
}

export interface RunResult {
  /** The final outcome; "nothing" when power was cut before the deployment was first saved. */
  outcome: DeploymentOutcome;
  boots: number;
  /** Where the cut struck, if it did. */
  cutAt: string | undefined;
}

export interface SimHarness {
  device: SimDevice;
  /** States entered ("state:X"), module calls ("module:x") and scripts ("script:X"), across every boot, in order. */
  chain: string[];
  /** Builds an rpi-ab-slot artifact into the sysroot; returns its device path. */
  artifact(recipe: ArtifactRecipe): Promise<string>;
  /** Copies an artifact built once with buildArtifactFile into the sysroot (matrix runs reuse one build). */
  copyArtifact(hostFile: string, name: string): Promise<string>;
  /** Writes a root-filesystem state script or a health.d check (device dir, name, shell body). */
  script(deviceDir: string, name: string, body: string): Promise<void>;
  /** Starts a deployment of `uri` and boots/resumes until it ends. */
  deploy(uri: string, options?: RunOptions): Promise<RunResult>;
  /** A fresh agent on the running boot (closed by the caller). */
  agent(): Promise<Agent>;
  close(): Promise<void>;
}

const silent: Logger = pino({ level: "silent" }) as unknown as Logger;

/**
 * Script health check every scenario device carries: the simulated systemd must say "running". It reads the
 * sim's state file with grep (no process of node per check), so the power-cut matrix stays fast.
 */
const HEALTH_SCRIPT = `grep -q '"state": "running"' "$OTA_SIM_SYSROOT/run/sim/systemd.json" || { echo "system is not running" >&2; exit 1; }`;

export async function createSimHarness(options: SimDeviceOptions & { logger?: Logger } = {}): Promise<SimHarness> {
  const { logger, ...deviceOptions } = options;
  const device = await SimDevice.create({
    // tmpfs when there is one: the sim fsyncs for real, and a busy host disk would make hundreds of runs crawl
    ...(deviceOptions.dir === undefined && existsSync("/dev/shm") ? { dir: await mkdtemp(join("/dev/shm", "ota-sim-")) } : {}),
    ...deviceOptions,
    slotA: deviceOptions.slotA ?? { version: "v1", bootBytes: 64 * 1024, systemBytes: 128 * 1024 },
    slotB: deviceOptions.slotB ?? { version: "v1", bootBytes: 64 * 1024, systemBytes: 128 * 1024 },
    config: {
      stateScripts: { retryIntervalMs: 10, retryTimeoutMs: 500, timeoutMs: 10_000 },
      health: { deadlineMs: 10_000 },
      ...(deviceOptions.config ?? {}),
    },
  });
  const chain: string[] = [];
  const log = logger ?? silent;
  const chainLog = join(device.dir, "chain-scripts.log");
  await writeFile(chainLog, "");

  const harness: SimHarness = {
    device,
    chain,
    async artifact(recipe) {
      const devicePath = `/var/tmp/${recipe.name}.mender`;
      const host = device.path(devicePath);
      await mkdir(dirname(host), { recursive: true });
      await buildArtifactFile({ ...recipe, deviceType: recipe.deviceType ?? device.deviceType }, host);
      return devicePath;
    },
    async copyArtifact(hostFile, name) {
      const devicePath = `/var/tmp/${name}.mender`;
      await mkdir(dirname(device.path(devicePath)), { recursive: true });
      await copyFile(hostFile, device.path(devicePath));
      return devicePath;
    },
    async script(deviceDir, name, body) {
      const host = device.path(`${deviceDir}/${name}`);
      await mkdir(dirname(host), { recursive: true });
      await writeFile(host, scriptText(name, body));
      await chmod(host, 0o755);
    },
    agent() {
      return createAgent({ config: device.config(), platform: device.platform(), logger: log, builtinPlugins });
    },
    async deploy(uri, run = {}) {
      const server = run.server;
      const dep: Deployment = {
        id: `dep-${uri.replace(/[^a-z0-9]/gi, "")}`,
        artifactName: "",
        uri,
        policy: { download: "forced", update: "forced" },
        server: server ? server.name : "standalone",
      };
      if (run.cut) device.armCut(run.cut);
      let seenScripts = (await readFile(chainLog, "utf8")).split("\n").filter(Boolean).length;
      // scripts log themselves from child processes; fold them into the chain when the next state starts
      const flushScripts = (): void => {
        const all = readFileSync(chainLog, "utf8").split("\n").filter(Boolean);
        for (const name of all.slice(seenScripts)) chain.push(`script:${name}`);
        seenScripts = all.length;
      };
      let started = false;
      let outcome: DeploymentOutcome | "halted" = "halted";
      let boots = 0;
      const maxBoots = run.maxBoots ?? 80;
      for (;;) {
        let agent: Agent | undefined;
        try {
          agent = await harness.agent();
          const runner = chainRunner(agent, chain, flushScripts);
          const onState = (s: string): void => {
            flushScripts();
            chain.push(`state:${s}`);
            run.onState?.(s);
          };
          const signal = new AbortController().signal;
          if (!started) {
            started = true;
            outcome = await runner.start(dep, { reboot: true, signal, onState, ...(server ? { server } : {}) });
          } else {
            outcome = await runner.resume({ signal, onState, ...(server ? { server } : {}) });
            if (outcome.kind === "nothing") {
              // the deployment may have finished just before the cut (only removing its record was left)
              const last = await runner.lastResult();
              if (last?.deploymentId === dep.id) {
                outcome = { kind: last.result, deploymentId: last.deploymentId, artifactName: last.artifactName, state: "Idle" };
              }
            }
          }
        } catch (err) {
          if (!isSimStop(err)) throw err;
          outcome = "halted";
        } finally {
          await agent?.close().catch(() => undefined);
          flushScripts();
        }
        if (outcome !== "halted" && outcome.kind !== "rebooting") break;
        if (++boots > maxBoots) throw new Error(`deployment did not end within ${maxBoots} boots (chain tail: ${chain.slice(-12).join(", ")})`);
        let b = await device.boot();
        // a hung trial without a watchdog stays hung until someone power-cycles it
        for (let i = 0; b.outcome === "hung" && i < 3; i++) b = await device.boot();
      }
      device.disarmCut();
      return { outcome, boots, cutAt: device.lastCut };
    },
    async close() {
      await device.close();
    },
  };
  await harness.script("/etc/ota-agent/health.d", "10-system-running", HEALTH_SCRIPT);
  return harness;
}

/**
 * A script logs its own name into `<device dir>/chain-scripts.log`, found through OTA_SIM_SYSROOT (set by the
 * sim's platform for every process), so one artifact build serves any number of devices.
 */
function scriptText(name: string, body: string): string {
  return `#!/bin/sh\necho "${name}" >> "$OTA_SIM_SYSROOT/../chain-scripts.log"\n${body}\n`;
}

/** Writes an rpi-ab-slot artifact with sim slot images (and logging state scripts) to `hostPath`. */
export async function buildArtifactFile(recipe: ArtifactRecipe & { deviceType: string }, hostPath: string): Promise<void> {
  const images = makeSlotImages({
    version: recipe.version,
    behaviour: recipe.behaviour ?? "boots",
    bootBytes: 64 * 1024,
    systemBytes: recipe.systemBytes ?? 128 * 1024,
  });
  const out = createWriteStream(hostPath);
  const scripts = Object.entries(recipe.scripts ?? {}).map(([name, body]) => ({
    name,
    content: Buffer.from(scriptText(name, body)),
    mode: 0o755,
  }));
  await writeArtifact(
    rpiAbSlotWriteOptions({
      name: recipe.name,
      deviceTypes: [recipe.deviceType],
      files: [
        { name: "boot", size: images.boot.length, open: () => Readable.from([images.boot]) },
        { name: "system", size: images.system.length, open: () => Readable.from([images.system]) },
      ],
      scripts,
      compression: "none",
    }),
    out,
  );
  await finished(out);
}

/** A runner over the agent's own services, with every update module wrapped to log its state calls. */
function chainRunner(agent: Agent, chain: string[], flushScripts: () => void): DeploymentRunner {
  const c = agent.container;
  const registry = resolve(c, TOKENS.UpdateModuleRegistry);
  const wrapped = new Map<UpdateModule, UpdateModule>();
  const wrap = (m: UpdateModule): UpdateModule => {
    let w = wrapped.get(m);
    if (!w) {
      w = new Proxy(m, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== "function") return value;
          const name = String(prop);
          return (...args: unknown[]) => {
            if ((MODULE_STATES as readonly string[]).includes(name)) {
              flushScripts();
              chain.push(`module:${name}`);
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      wrapped.set(m, w);
    }
    return w;
  };
  return new DeploymentRunner(
    resolve(c, TOKENS.Platform),
    resolve(c, TOKENS.StateStore),
    resolve(c, TOKENS.Config),
    resolve(c, TOKENS.Logger),
    resolve(c, TOKENS.AgentInfo),
    resolve(c, TOKENS.InstallPipeline),
    { get: (type) => wrap(registry.get(type)) },
    resolveOptional(c, TOKENS.Bootloader),
    resolveAll(c, TOKENS.HealthCheck),
    resolveAll(c, TOKENS.BootTask),
  );
}

