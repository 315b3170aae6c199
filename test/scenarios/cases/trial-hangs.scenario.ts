// The new system hangs: the hardware watchdog resets it, the firmware falls back to the committed slot.
import { defineScenario, FAILED_AFTER_REBOOTING, ON_FACTORY_IMAGE, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "trial hangs: watchdog reset, firmware fallback, rollback path, failure reported",
  artifact: { name: "release-v3", version: "v3", behaviour: "hangs" },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_INSTALL_VERIFY_REBOOT",
    chain: [...TO_TRIAL_CHECK, "module:artifactRollback", "module:artifactFailure", "module:cleanup"],
    statuses: [...FAILED_AFTER_REBOOTING],
    ...ON_FACTORY_IMAGE,
  },
});
