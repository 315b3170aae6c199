// The new system boots but a unit fails: health checks say no, the trial is left by a plain reboot.
import { defineScenario, FAILED_AFTER_REBOOTING, ON_FACTORY_IMAGE, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "unhealthy trial: health checks fail inside the trial, rollback reboot to the committed slot",
  artifact: { name: "release-v2", version: "v2", behaviour: "unhealthy" },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_HEALTH_FAILED",
    chain: [
      ...TO_TRIAL_CHECK,
      "module:artifactRollback",
      "module:artifactRollbackReboot",
      "module:artifactVerifyRollbackReboot",
      "module:artifactFailure",
      "module:cleanup",
    ],
    statuses: [...FAILED_AFTER_REBOOTING],
    ...ON_FACTORY_IMAGE,
  },
});
