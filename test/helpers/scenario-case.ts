// Test helper: the shape of one declarative deployment scenario (test/scenarios/cases/*.scenario.ts) and its runner.
import { expect } from "vitest";
import type { SlotName } from "../../core/capabilities/slot-resolver.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import type { DeploymentOutcome } from "../../core/state-machine/deployment-runner.js";
import type { SimDeviceOptions } from "../sim/index.js";
import { FakeServer } from "./scenario-fakes.js";
import { createSimHarness, type ArtifactRecipe, type SimHarness } from "./scenario-sim.js";

export interface Scenario {
  description: string;
  /** The artifact deployed (an rpi-ab-slot artifact built with our writer from sim slot images). */
  artifact: ArtifactRecipe & { truncateTo?: number };
  /** Device options (watchdog, capability bits, ...). */
  device?: SimDeviceOptions;
  /** Faults: a server that aborts at a status, root-filesystem scripts, a device-side tweak before the run. */
  faults?: {
    abortAt?: string;
    rootfsScripts?: Record<string, string>;
    before?: (h: SimHarness) => Promise<void>;
  };
  expect: {
    outcome: DeploymentOutcome["kind"];
    errorCode?: string;
    /** The exact ordered module calls ("module:x") and scripts ("script:X") — states are left out here. */
    chain: string[];
    statuses: string[];
    /** Slot running and committed at the end, and the version its system image carries. */
    slot: SlotName;
    version: string;
    /** Installed artifact name at the end. */
    artifactName: string;
  };
}

/** The module calls of every deployment that gets as far as checking its trial boot (the chain's common head). */
export const TO_TRIAL_CHECK: readonly string[] = ["module:artifactInstall", "module:artifactReboot", "module:artifactVerifyReboot"];
/** The status reports of a deployment that fails once its trial boot was announced. */
export const FAILED_AFTER_REBOOTING: readonly string[] = ["downloading", "installing", "rebooting", "failure"];
/** Where a deployment that changed nothing leaves the device: the factory image on slot a, no artifact recorded. */
export const ON_FACTORY_IMAGE = { slot: "a", version: "v1", artifactName: "unknown" } as const;

export function defineScenario(s: Scenario): Scenario {
  return s;
}

/** Runs one scenario on a fresh simulated device and checks everything it expects. */
export async function runScenario(s: Scenario): Promise<void> {
  const h = await createSimHarness(s.device ?? {});
  try {
    for (const [name, body] of Object.entries(s.faults?.rootfsScripts ?? {})) await h.script("/etc/ota-agent/scripts", name, body);
    await s.faults?.before?.(h);
    const uri = await h.artifact(s.artifact);
    if (s.artifact.truncateTo !== undefined) {
      const { truncate } = await import("node:fs/promises");
      await truncate(h.device.path(uri), s.artifact.truncateTo);
    }
    const server = new FakeServer();
    if (s.faults?.abortAt) server.abortAt = s.faults.abortAt;
    const { outcome } = await h.deploy(uri, { server });
    expect(outcome.kind, JSON.stringify(outcome)).toBe(s.expect.outcome);
    if (s.expect.errorCode) expect(outcome).toMatchObject({ error: { code: s.expect.errorCode } });
    expect(h.chain.filter((c) => !c.startsWith("state:"))).toEqual(s.expect.chain);
    expect(server.statuses).toEqual(s.expect.statuses);
    if (s.expect.outcome !== "success") expect(server.logs.length, "the deployment log is uploaded on failure").toBeGreaterThan(0);
    await expectSettled(h, s.expect.slot, s.expect.version, s.expect.artifactName);
  } finally {
    await h.close();
  }
}

/** The device is up on a committed, disarmed, bootable slot, with no deployment left in the record. */
export async function expectSettled(h: SimHarness, slot: SlotName, version: string, artifactName: string): Promise<void> {
  const settled = await expectSettledDevice(h);
  expect(settled.committed, "committed slot").toBe(slot);
  expect(settled.version).toBe(version);
  expect(settled.artifactName).toBe(artifactName);
}

export interface SettledDevice {
  /** The slot a normal boot starts, which is also the one running. */
  committed: SlotName;
  /** The version in the committed slot's system image. */
  version: string;
  /** The installed artifact name in the record. */
  artifactName: string;
  /** The result the record keeps of the last deployment, if any. */
  lastResult: string | undefined;
}

/**
 * The invariants of a device that has settled, whatever happened before (a scenario, a power cut anywhere): it is
 * up, running its committed slot, whose image boots; no trial is armed except at the untouched factory image (the
 * rpi-image-gen factory state arms the other slot); no deployment is left in the record. Returns what it read.
 */
export async function expectSettledDevice(h: SimHarness): Promise<SettledDevice> {
  expect(h.device.status, "device up").toBe("up");
  const autoboot = await h.device.autoboot();
  const committed = autoboot.committed;
  expect(committed, "a committed slot").toBeDefined();
  // (the last boot may be the trial boot itself when the commit happened in it: the commit made it the default)
  expect(h.device.lastBoot?.slot, "running the committed slot").toBe(committed);
  const marker = await h.device.slotMarker(committed!);
  expect(marker?.behaviour, "the committed slot boots").toBe("boots");
  if (autoboot.trial !== committed) {
    const armed = autoboot.trial ? await h.device.slotMarker(autoboot.trial) : undefined;
    expect(armed, `armed trial slot ${autoboot.trial} must be the untouched factory image`).toMatchObject({ version: "v1", behaviour: "boots" });
  }
  const agent = await h.agent();
  try {
    const runner = resolve(agent.container, TOKENS.DeploymentRunner);
    expect(await runner.current(), "no deployment left in the record").toBeUndefined();
    const { artifactName } = await runner.installed();
    return { committed: committed!, version: marker!.version, artifactName, lastResult: (await runner.lastResult())?.result };
  } finally {
    await agent.close();
  }
}
