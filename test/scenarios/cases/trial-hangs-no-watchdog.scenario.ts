// The new system hangs and no watchdog resets it: it stays hung until power-cycled, then the committed slot boots.
import { defineScenario } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "trial hangs without a watchdog: a power cycle returns to the committed slot, failure reported",
  artifact: { name: "release-v3", version: "v3", behaviour: "hangs" },
  device: { watchdog: false },
  expect: {
    outcome: "rolled-back",
    errorCode: "OTA_ERR_INSTALL_VERIFY_REBOOT",
    chain: [
      "module:artifactInstall",
      "module:artifactReboot",
      "module:artifactVerifyReboot",
      "module:artifactRollback",
      "module:artifactFailure",
      "module:cleanup",
    ],
    statuses: ["downloading", "installing", "rebooting", "failure"],
    slot: "a",
    version: "v1",
    artifactName: "unknown",
  },
});
