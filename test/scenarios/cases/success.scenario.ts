// A good artifact: tryboot into the other slot, health checks pass, commit, new provides.
import { defineScenario, TO_TRIAL_CHECK } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "success: install v2, trial boot, healthy, committed",
  artifact: {
    name: "release-v2",
    version: "v2",
    scripts: { ArtifactInstall_Enter_01: "", ArtifactReboot_Leave_01: "", ArtifactCommit_Leave_01: "" },
  },
  faults: { rootfsScripts: { Download_Enter_01: "" } },
  expect: {
    outcome: "success",
    chain: [
      "script:Download_Enter_01",
      "script:ArtifactInstall_Enter_01",
      ...TO_TRIAL_CHECK,
      "script:ArtifactReboot_Leave_01",
      "script:10-system-running",
      "module:artifactCommit",
      "script:ArtifactCommit_Leave_01",
      "module:cleanup",
    ],
    statuses: ["downloading", "installing", "rebooting", "installing", "success"],
    slot: "b",
    version: "v2",
    artifactName: "release-v2",
  },
});
