// Power cut at every step of a deployment whose trial is unhealthy (rollback out of the trial): always back on v1.
import { expect } from "vitest";
import { artifactScriptsEverywhere, definePowerCutMatrix, rootfsScriptsEverywhere } from "../helpers/scenario-power-cut.js";
import { PERSISTED_ROLLBACK_TO_END, PERSISTED_TO_TRIAL, SCRIPT_POINTS_TO_TRIAL } from "../helpers/matrix-paths.js";

definePowerCutMatrix({
  recipe: {
    name: "trial-unhealthy",
    artifact: { name: "release-v3", version: "v3", behaviour: "unhealthy", scripts: artifactScriptsEverywhere() },
    rootfsScripts: rootfsScriptsEverywhere(),
  },
  clean: "rolled-back",
  persisted: [...PERSISTED_TO_TRIAL, ...PERSISTED_ROLLBACK_TO_END],
  scriptPoints: [
    ...SCRIPT_POINTS_TO_TRIAL,
    "ArtifactRollback_Enter",
    "ArtifactRollback_Leave",
    "ArtifactRollbackReboot_Enter",
    "ArtifactRollbackReboot_Leave",
    "ArtifactFailure_Enter",
    "ArtifactFailure_Leave",
    "Idle_Enter",
  ],
  check(r, c) {
    expect(r.outcome.kind, "an unhealthy image never succeeds").not.toBe("success");
    expect([r.committed, r.version], "always back on v1").toEqual(["a", "v1"]);
    // Power lost every time a failure-path script starts: that step never completes, so the loop counter ends it
    // (StateLoop; for ArtifactFailure, abandoned past the limit: scripts skipped, trial disarmed) and the deployment
    // ends inconsistent instead of looping. (A cut at ArtifactRollbackReboot_Enter is not among them: a power loss in
    // a reboot state counts as the reboot, so the rollback completes.)
    if ("at" in c.cut && c.cut.every && /^script:Artifact(Failure_|Rollback_|RollbackReboot_Leave)/.test(c.cut.at)) {
      expect(r.outcome.kind, c.label).toBe("inconsistent");
    }
    if ("at" in c.cut && c.cut.every && c.cut.at === "script:ArtifactRollbackReboot_Enter_01") expect(r.outcome.kind, c.label).toBe("rolled-back");
  },
});
