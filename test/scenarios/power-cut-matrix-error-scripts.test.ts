// Power cut at every step of a deployment whose ArtifactCommit_Enter script fails and whose rollback-reboot Leave
// script fails too: the Error script points (ArtifactCommit_Error, ArtifactRollbackReboot_Error) are cut as well.
import { expect } from "vitest";
import { artifactScriptsEverywhere, definePowerCutMatrix, rootfsScriptsEverywhere } from "../helpers/scenario-power-cut.js";
import { PERSISTED_ROLLBACK_TO_END, PERSISTED_TO_TRIAL, SCRIPT_POINTS_TO_TRIAL } from "../helpers/matrix-paths.js";

definePowerCutMatrix({
  recipe: {
    name: "commit-script-fails",
    artifact: {
      name: "release-v4",
      version: "v4",
      scripts: artifactScriptsEverywhere({
        ArtifactCommit_Enter_01: "echo 'database migration failed' >&2; exit 1",
        ArtifactRollbackReboot_Leave_01: "exit 1",
      }),
    },
    rootfsScripts: rootfsScriptsEverywhere(),
  },
  clean: "inconsistent",
  persisted: [...PERSISTED_TO_TRIAL, "ArtifactCommit", ...PERSISTED_ROLLBACK_TO_END],
  scriptPoints: [
    ...SCRIPT_POINTS_TO_TRIAL,
    "ArtifactCommit_Enter",
    "ArtifactCommit_Error",
    "ArtifactRollback_Enter",
    "ArtifactRollback_Leave",
    "ArtifactRollbackReboot_Enter",
    "ArtifactRollbackReboot_Leave",
    "ArtifactRollbackReboot_Error",
    "ArtifactFailure_Enter",
    "ArtifactFailure_Leave",
    "Idle_Enter",
  ],
  check(r, c) {
    // the commit script always fails: the new slot is never committed, whatever the cut
    expect(r.outcome.kind, c.label).not.toBe("success");
    expect([r.committed, r.version], c.label).toEqual(["a", "v1"]);
  },
});
