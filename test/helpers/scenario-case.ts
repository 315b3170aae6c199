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
  const boot = h.device.lastBoot;
  const autoboot = await h.device.autoboot();
  expect(h.device.status).toBe("up");
  expect(autoboot.committed, "committed slot").toBe(slot);
  // Disarmed, or still the factory state (rpi-image-gen ships [tryboot] = the other slot) with that slot untouched:
  // never an armed trial at a slot the agent wrote or half-wrote.
  if (autoboot.trial !== slot) {
    const armed = autoboot.trial ? await h.device.slotMarker(autoboot.trial) : undefined;
    expect(armed, `armed trial slot ${autoboot.trial} must be the untouched factory image`).toMatchObject({ version: "v1", behaviour: "boots" });
  }
  expect((await h.device.slotMarker(slot))?.version).toBe(version);
  expect(boot?.slot, "running slot").toBe(slot);
  const agent = await h.agent();
  try {
    const runner = resolve(agent.container, TOKENS.DeploymentRunner);
    expect(await runner.current(), "no deployment left in progress").toBeUndefined();
    expect((await runner.installed()).artifactName).toBe(artifactName);
  } finally {
    await agent.close();
  }
}
