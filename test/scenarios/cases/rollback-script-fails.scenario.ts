// A rollback script fails while leaving a panicking trial: the device is back on v1, but the rollback counts as failed.
import { defineScenario, FAILED_AFTER_REBOOTING, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "rollback script fails: the flow goes on to the committed slot; artifact marked _INCONSISTENT",
  artifact: { name: "release-v3", version: "v3", behaviour: "panics", scripts: { ArtifactRollback_Enter_01: "exit 1" } },
  expect: {
    outcome: "inconsistent",
    errorCode: "OTA_ERR_INSTALL_VERIFY_REBOOT",
    chain: [
      ...TO_TRIAL_CHECK,
      "script:ArtifactRollback_Enter_01",
      "module:artifactRollback",
      "module:artifactFailure",
      "module:cleanup",
    ],
    statuses: [...FAILED_AFTER_REBOOTING],
    slot: "a",
    version: "v1",
    artifactName: "release-v3_INCONSISTENT",
  },
});
