// The new system panics: the one-shot tryboot flag is gone, the firmware boots the committed slot again (no
// rollback reboot needed: the agent finds itself on the committed slot already).
import { defineScenario, FAILED_AFTER_REBOOTING, ON_FACTORY_IMAGE, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "trial kernel panics: firmware fallback, verify sees the old slot, rollback, failure reported",
  artifact: { name: "release-v3", version: "v3", behaviour: "panics", scripts: { ArtifactRollback_Enter_01: "", ArtifactFailure_Enter_01: "" } },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_INSTALL_VERIFY_REBOOT",
    chain: [
      ...TO_TRIAL_CHECK,
      "script:ArtifactRollback_Enter_01",
      "module:artifactRollback",
      "script:ArtifactFailure_Enter_01",
      "module:artifactFailure",
      "module:cleanup",
    ],
    statuses: [...FAILED_AFTER_REBOOTING],
    ...ON_FACTORY_IMAGE,
  },
});
