// ArtifactCommit_Enter fails: its Error scripts run and the deployment rolls back out of the trial.
import { defineScenario, ON_FACTORY_IMAGE, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "commit script fails: ArtifactCommit_Error, rollback reboot, failure reported",
  artifact: {
    name: "release-v2",
    version: "v2",
    scripts: { ArtifactCommit_Enter_01: "echo 'migration failed' >&2; exit 1", ArtifactCommit_Error_01: "" },
  },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_SCRIPT_FAILED",
    chain: [
      ...TO_TRIAL_CHECK,
      "script:10-system-running",
      "script:ArtifactCommit_Enter_01",
      "script:ArtifactCommit_Error_01",
      "module:artifactRollback",
      "module:artifactRollbackReboot",
      "module:artifactVerifyRollbackReboot",
      "module:artifactFailure",
      "module:cleanup",
    ],
    statuses: ["downloading", "installing", "rebooting", "installing", "failure"],
    ...ON_FACTORY_IMAGE,
  },
});
