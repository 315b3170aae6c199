// ArtifactCommit_Leave fails after the commit: no way back, the deployment fails and the artifact is _INCONSISTENT.
import { defineScenario, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "commit leave script fails: stays on the committed new slot, failure, artifact marked _INCONSISTENT",
  artifact: { name: "release-v2", version: "v2", scripts: { ArtifactCommit_Leave_01: "exit 1" } },
  expect: {
    outcome: "inconsistent",
    errorCode: "OTA_ERR_SCRIPT_FAILED",
    chain: [
      ...TO_TRIAL_CHECK,
      "script:10-system-running",
      "module:artifactCommit",
      "script:ArtifactCommit_Leave_01",
      "module:cleanup",
    ],
    statuses: ["downloading", "installing", "rebooting", "installing", "failure"],
    slot: "b",
    version: "v2",
    artifactName: "release-v2_INCONSISTENT",
  },
});
