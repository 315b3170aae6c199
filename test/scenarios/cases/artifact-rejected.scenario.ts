// An artifact for another device type is refused while reading its header: nothing written, nothing armed.
import { defineScenario, ON_FACTORY_IMAGE } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "artifact rejected (wrong device type): Download fails, no module state runs, failure reported",
  artifact: { name: "release-v2", version: "v2", deviceType: "raspberrypi4" },
  expect: {
    outcome: "failure",
    errorCode: "OTA_ERR_INSTALL_ARTIFACT_INVALID",
    chain: [],
    statuses: ["downloading", "failure"],
    ...ON_FACTORY_IMAGE,
  },
});
