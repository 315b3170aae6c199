// ArtifactInstall fails (the firmware lacks TRYBOOT_A_B, so arming is refused): rollback without a reboot.
import { defineScenario, ON_FACTORY_IMAGE } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "install fails: arming refused by the firmware's capability bits; nothing armed, failure reported",
  artifact: { name: "release-v2", version: "v2" },
  device: { capabilities: 0x08 },
  expect: {
    outcome: "rolled-back",
    chain: ["module:artifactInstall", "module:artifactRollback", "module:artifactFailure", "module:cleanup"],
    statuses: ["downloading", "installing", "failure"],
    ...ON_FACTORY_IMAGE,
  },
});
