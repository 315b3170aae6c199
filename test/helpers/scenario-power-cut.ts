// Test helper: the power-cut matrix — enumerate every cut point of a clean run, cut there, check the device settles.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlotName } from "../../core/capabilities/slot-resolver.js";
import type { DeploymentOutcome } from "../../core/state-machine/deployment-runner.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import type { SimCutSpec } from "../sim/index.js";
import { expectSettledDevice } from "./scenario-case.js";
import { FakeServer } from "./scenario-fakes.js";
import { buildArtifactFile, createSimHarness, type ArtifactRecipe, type SimHarness } from "./scenario-sim.js";

/** Only what a slot deployment needs: the matrix runs hundreds of deployments (other plugins cost start-up time). */
const MATRIX_PLUGINS = new Set(["slots-gpt", "bootloader-tryboot", "module-ab-image"]);
export const MATRIX_CONFIG = { disable: Object.keys(builtinPlugins).filter((n) => !MATRIX_PLUGINS.has(n)) };

/**
 * How many cases of one matrix run at the same time. Every case has its own device folder, server and agents, so
 * they cannot see each other; running two at once keeps the second core busy, which vitest's single worker on a
 * 2-core machine leaves to the scripts' child processes. OTA_MATRIX_CONCURRENCY=1 runs them one by one.
 */
const MATRIX_CONCURRENCY = Math.max(1, Math.floor(Number(process.env["OTA_MATRIX_CONCURRENCY"] ?? 2)) || 1);

/** Runs `fn` over `items` with at most `limit` calls in flight; `fn` must not throw (it records its failures). */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export interface MatrixRecipe {
  name: string;
  artifact: ArtifactRecipe;
  /** Root-filesystem scripts (name → body) so the Idle, Sync and Download script points are cut too. */
  rootfsScripts?: Record<string, string>;
}

/** `<state>_<action>` for each state and its actions, in order. */
function scriptPoints(states: Record<string, readonly string[]>): string[] {
  return Object.entries(states).flatMap(([state, actions]) => actions.map((a) => `${state}_${a}`));
}
const ENTER_LEAVE = ["Enter", "Leave"] as const;
const ENTER_LEAVE_ERROR = ["Enter", "Leave", "Error"] as const;

/** Mender's script states with the actions each has (reference/mender.md §3.4); rootfs ones first. */
const ROOTFS_SCRIPT_POINTS = scriptPoints({ Idle: ENTER_LEAVE, Sync: ENTER_LEAVE_ERROR, Download: ENTER_LEAVE_ERROR });
const ARTIFACT_SCRIPT_POINTS = scriptPoints({
  ArtifactInstall: ENTER_LEAVE_ERROR,
  ArtifactReboot: ENTER_LEAVE_ERROR,
  ArtifactCommit: ENTER_LEAVE_ERROR,
  ArtifactRollback: ENTER_LEAVE,
  ArtifactRollbackReboot: ENTER_LEAVE_ERROR,
  ArtifactFailure: ENTER_LEAVE,
});

/** One script (`<point>_01`, exit 0 unless overridden by name) at every rootfs script point: Idle, Sync, Download. */
export function rootfsScriptsEverywhere(overrides: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(ROOTFS_SCRIPT_POINTS.map((p) => [`${p}_01`, ""])), ...overrides };
}

/** One script (`<point>_01`, exit 0 unless overridden by name) at every artifact script point. */
export function artifactScriptsEverywhere(overrides: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(ARTIFACT_SCRIPT_POINTS.map((p) => [`${p}_01`, ""])), ...overrides };
}

export interface CutCase {
  label: string;
  cut: SimCutSpec;
}

export interface CaseResult {
  outcome: DeploymentOutcome;
  cutAt: string | undefined;
  boots: number;
  committed: SlotName;
  version: string;
  artifactName: string;
  statuses: string[];
}

/** Builds the recipe's artifact once (device type of the sim default), for copying into each case's device. */
export async function prepareRecipe(recipe: MatrixRecipe): Promise<{ file: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "ota-matrix-"));
  const file = join(dir, `${recipe.artifact.name}.mender`);
  await buildArtifactFile({ ...recipe.artifact, deviceType: "raspberrypi5" }, file);
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

async function newDevice(recipe: MatrixRecipe): Promise<SimHarness> {
  const h = await createSimHarness({ config: MATRIX_CONFIG });
  for (const [name, body] of Object.entries(recipe.rootfsScripts ?? {})) await h.script("/etc/ota-agent/scripts", name, body);
  return h;
}

/** A clean run: the checkpoint names it passes (in order, deduplicated) and its number of durable steps. */
export async function cleanRun(recipe: MatrixRecipe, artifactFile: string): Promise<{ checkpoints: string[]; writes: number; result: CaseResult }> {
  const h = await newDevice(recipe);
  try {
    const uri = await h.copyArtifact(artifactFile, recipe.artifact.name);
    h.device.armCut({ atWrite: Number.MAX_SAFE_INTEGER });
    const start = h.device.checkpointsSeen.length;
    const result = await finish(h, uri, undefined);
    const checkpoints = [...new Set(h.device.checkpointsSeen.slice(start))];
    return { checkpoints, writes: h.device.writesSeen.length, result };
  } finally {
    await h.close();
  }
}

/** Every cut of the matrix for a clean run's checkpoints and durable-step count. */
export function cutCases(checkpoints: readonly string[], writes: number): CutCase[] {
  const cases: CutCase[] = [];
  for (const dropUnsynced of [true, false]) {
    const d = dropUnsynced ? "drop" : "keep";
    for (const at of checkpoints) {
      cases.push({ label: `${at} once ${d}`, cut: { at, dropUnsynced } });
      cases.push({ label: `${at} every ${d}`, cut: { at, every: true, dropUnsynced } });
    }
    for (let n = 1; n <= writes; n++) cases.push({ label: `write #${n} ${d}`, cut: { atWrite: n, dropUnsynced } });
  }
  return cases;
}

/** Runs the deployment with one cut armed, on a fresh device; returns where it settled. */
export async function runCase(recipe: MatrixRecipe, artifactFile: string, cut: SimCutSpec): Promise<CaseResult> {
  const h = await newDevice(recipe);
  try {
    const uri = await h.copyArtifact(artifactFile, recipe.artifact.name);
    return await finish(h, uri, cut);
  } finally {
    await h.close();
  }
}

async function finish(h: SimHarness, uri: string, cut: SimCutSpec | undefined): Promise<CaseResult> {
  const server = new FakeServer();
  const { outcome, boots, cutAt } = await h.deploy(uri, cut ? { server, cut } : { server });
  // the invariants every case must meet, whatever the cut
  const settled = await expectSettledDevice(h);
  if (outcome.kind !== "nothing") expect(settled.lastResult, "last result stored").toBe(outcome.kind);
  return { outcome, cutAt, boots, committed: settled.committed, version: settled.version, artifactName: settled.artifactName, statuses: server.statuses };
}

/**
 * The record and the slot agree: success ⇔ the new version committed with its name stored and "success" reported
 * last; a clean failure leaves the old version and the old name, "failure" reported last; inconsistent marks the
 * name; a cut before the first save leaves everything as it was and reports nothing final.
 */
export function expectConsistent(r: CaseResult, newName: string, newVersion: string, oldName: string): void {
  const last = r.statuses.at(-1);
  switch (r.outcome.kind) {
    case "success":
      expect([r.version, r.artifactName, last]).toEqual([newVersion, newName, "success"]);
      break;
    case "failure":
    case "rolled-back":
      expect([r.version, r.artifactName, last]).toEqual(["v1", oldName, "failure"]);
      break;
    case "inconsistent":
      expect([r.artifactName, last]).toEqual([`${newName}_INCONSISTENT`, "failure"]);
      expect([newVersion, "v1"]).toContain(r.version);
      break;
    case "nothing":
      expect([r.version, r.artifactName]).toEqual(["v1", oldName]);
      expect(r.statuses.filter((s) => s === "success" || s === "failure")).toEqual([]);
      break;
    default:
      throw new Error(`unexpected outcome ${r.outcome.kind}`);
  }
}

export interface MatrixSpec {
  recipe: MatrixRecipe;
  /** How the uncut run ends. */
  clean: DeploymentOutcome["kind"];
  /**
   * The persisted states and the state scripts the uncut run must pass, in order (state names; script names
   * without `_01`): the matrix cuts at each of them, so this is the proof that none is missed.
   */
  persisted: readonly string[];
  scriptPoints: readonly string[];
  /** Extra checks of one case (beyond the settled-device invariants); `order` is the clean run's checkpoints. */
  check: (r: CaseResult, c: CutCase, order: readonly string[]) => void;
}

/**
 * Registers the matrix of one recipe: a clean run enumerates the checkpoint names and durable writes; then every
 * cut (each name once and every time, each write index; dropping and keeping unsynced writes) runs on a fresh
 * device. Prints how many (scenario × cut point) cases ran and passed.
 */
export function definePowerCutMatrix(spec: MatrixSpec): void {
  const { recipe } = spec;
  describe(`power-cut matrix › ${recipe.name}`, () => {
    let file: string;
    let dispose: (() => Promise<void>) | undefined;
    let cases: CutCase[] = [];
    let order: string[] = [];
    const tally = { run: 0, passed: 0, points: 0, writes: 0 };

    beforeAll(async () => {
      ({ file, dispose } = await prepareRecipe(recipe));
      const clean = await cleanRun(recipe, file);
      order = clean.checkpoints;
      cases = cutCases(clean.checkpoints, clean.writes);
      tally.points = clean.checkpoints.length;
      tally.writes = clean.writes;
      expect(clean.result.outcome.kind, "the uncut run").toBe(spec.clean);
    }, 120_000);
    afterAll(async () => {
      console.log(
        `power-cut matrix ${recipe.name}: ${tally.passed}/${tally.run} (scenario x cut point) cases passed ` +
          `(${tally.points} checkpoint names and ${tally.writes} durable writes in a clean run; each name once and every time, ` +
          `each write index; unsynced writes dropped and kept)`,
      );
      await dispose?.();
    });

    it("the clean run passes every persisted state and every script point of its path (each becomes a cut point)", () => {
      const states = order.filter((c) => c.startsWith("state:")).map((c) => c.replace(/^state:(.*):saved$/, "$1"));
      const scripts = order.filter((c) => c.startsWith("script:")).map((c) => c.replace(/^script:(.*)_01$/, "$1"));
      expect(states).toEqual(spec.persisted);
      expect(scripts).toEqual(spec.scriptPoints);
      const cutNames = new Set(cases.flatMap((c) => ("at" in c.cut ? [c.cut.at] : [])));
      for (const name of order) expect(cutNames.has(name), `cut at ${name}`).toBe(true);
    });

    it("settles on a bootable committed slot with a consistent record and the right status after every cut", async () => {
      const failures: { index: number; text: string }[] = [];
      await forEachBounded(cases, MATRIX_CONCURRENCY, async (c, index) => {
        tally.run++;
        try {
          const r = await runCase(recipe, file, c.cut);
          expectConsistent(r, recipe.artifact.name, recipe.artifact.version, "unknown");
          spec.check(r, c, order);
          tally.passed++;
        } catch (err) {
          failures.push({ index, text: `${c.label}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` });
        }
      });
      // in case order, whatever order the concurrent cases finished in
      const failed = failures.sort((a, b) => a.index - b.index).map((f) => f.text);
      expect(failed, `${failed.length} of ${cases.length} cuts failed:\n${failed.slice(0, 20).join("\n")}`).toEqual([]);
      expect(cases.length).toBeGreaterThan(100);
    }, 1_800_000);
  });
}
