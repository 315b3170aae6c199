// Power cut at every step of a deployment whose trial panics (the rollback path): always back on the old slot.
import { expect } from "vitest";
import { definePowerCutMatrix } from "../helpers/scenario-power-cut.js";

definePowerCutMatrix({
  recipe: {
    name: "trial-panics",
    artifact: {
      name: "release-v3",
      version: "v3",
      behaviour: "panics",
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
    expect(r.outcome.kind, "a panicking image never succeeds").not.toBe("success");
    expect([r.committed, r.version], "always back on v1").toEqual(["a", "v1"]);
  },
});
