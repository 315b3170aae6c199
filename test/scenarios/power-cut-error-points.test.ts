// Power cut at the Error script points the big matrices do not pass (Sync, Download, ArtifactInstall, ArtifactReboot):
// each is reached by failing its state, then cut there once and every time, with unsynced writes dropped and kept.
import { afterAll, describe, expect, it } from "vitest";
import type { DeploymentOutcome } from "../../core/state-machine/deployment-runner.js";
import {
  artifactScriptsEverywhere,
  cleanRun,
  expectConsistent,
  prepareRecipe,
  rootfsScriptsEverywhere,
  runCase,
  type MatrixRecipe,
} from "../helpers/scenario-power-cut.js";

interface ErrorPoint {
  point: string;
  recipe: MatrixRecipe;
  /** The outcome of the uncut run. */
  clean: DeploymentOutcome["kind"];
}

const FAIL = "echo 'failing on purpose' >&2; exit 1";
const recipe = (name: string, rootfs: Record<string, string>, artifact: Record<string, string>, behaviour?: "panics"): MatrixRecipe => ({
  name,
  artifact: { name: "release-v5", version: "v5", scripts: artifactScriptsEverywhere(artifact), ...(behaviour ? { behaviour } : {}) },
  rootfsScripts: rootfsScriptsEverywhere(rootfs),
});

const POINTS: ErrorPoint[] = [
  { point: "Sync_Error", recipe: recipe("sync-enter-fails", { Sync_Enter_01: FAIL }, {}), clean: "failure" },
  { point: "Download_Error", recipe: recipe("download-enter-fails", { Download_Enter_01: FAIL }, {}), clean: "failure" },
  { point: "ArtifactInstall_Error", recipe: recipe("install-enter-fails", {}, { ArtifactInstall_Enter_01: FAIL }), clean: "rolled-back" },
  { point: "ArtifactReboot_Error", recipe: recipe("trial-panics", {}, {}, "panics"), clean: "rolled-back" },
];

describe("power-cut matrix › Error script points", () => {
  const tally = { run: 0, passed: 0 };
  afterAll(() => {
    console.log(`power-cut matrix error-points: ${tally.passed}/${tally.run} (scenario x cut point) cases passed`);
  });

  for (const p of POINTS) {
    it(`${p.point}: reached by ${p.recipe.name}; a cut there (once, every time; dropped, kept) settles`, async () => {
      const { file, dispose } = await prepareRecipe(p.recipe);
      try {
        const clean = await cleanRun(p.recipe, file);
        expect(clean.result.outcome.kind, "the uncut run").toBe(p.clean);
        const at = `script:${p.point}_01`;
        expect(clean.checkpoints, `the uncut run passes ${at}`).toContain(at);
        for (const every of [false, true]) {
          for (const dropUnsynced of [true, false]) {
            tally.run++;
            const r = await runCase(p.recipe, file, { at, every, dropUnsynced });
            expect(r.cutAt, "the cut struck").toBe(at);
            expectConsistent(r, p.recipe.artifact.name, p.recipe.artifact.version, "unknown");
            const label = `${at} every=${every} drop=${dropUnsynced}`;
            expect(r.outcome.kind, label).not.toBe("success");
            expect([r.committed, r.version], label).toEqual(["a", "v1"]);
            tally.passed++;
          }
        }
      } finally {
        await dispose();
      }
    }, 300_000);
  }
});
