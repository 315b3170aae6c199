// Power cut at every step of a deployment whose trial is unhealthy (rollback out of the trial): always back on v1.
import { expect } from "vitest";
import { definePowerCutMatrix } from "../helpers/scenario-power-cut.js";

definePowerCutMatrix({
  recipe: {
    name: "trial-unhealthy",
    artifact: {
      name: "release-v3",
      version: "v3",
      behaviour: "unhealthy",
      scripts: {
        ArtifactRollback_Enter_01: "",
        ArtifactRollbackReboot_Enter_01: "",
        ArtifactRollbackReboot_Leave_01: "",
        ArtifactFailure_Enter_01: "",
        ArtifactFailure_Leave_01: "",
      },
    },
  },
  clean: "rolled-back",
  check(r) {
    expect(r.outcome.kind, "an unhealthy image never succeeds").not.toBe("success");
    expect([r.committed, r.version], "always back on v1").toEqual(["a", "v1"]);
  },
});
