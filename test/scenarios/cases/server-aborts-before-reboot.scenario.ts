// The server cancels the deployment when told "rebooting" (HTTP 409): the armed trial is disarmed, no reboot.
import { defineScenario, FAILED_AFTER_REBOOTING, ON_FACTORY_IMAGE } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "server aborts at rebooting: rollback (disarm) without a reboot, failure reported",
  artifact: { name: "release-v2", version: "v2" },
  faults: { abortAt: "rebooting" },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_STATE_ABORTED",
    chain: ["module:artifactInstall", "module:artifactRollback", "module:artifactFailure", "module:cleanup"],
    statuses: [...FAILED_AFTER_REBOOTING],
    ...ON_FACTORY_IMAGE,
  },
});
