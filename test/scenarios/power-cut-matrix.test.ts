// Power cut at every persisted step, script point and durable write of a successful deployment: it always settles.
import { expect } from "vitest";
import { definePowerCutMatrix } from "../helpers/scenario-power-cut.js";

definePowerCutMatrix({
  recipe: {
    name: "success",
    artifact: {
      name: "release-v2",
      version: "v2",
      scripts: {
        ArtifactInstall_Enter_01: "",
        ArtifactReboot_Enter_01: "",
        ArtifactReboot_Leave_01: "",
        ArtifactCommit_Enter_01: "",
        ArtifactCommit_Leave_01: "",
      },
    },
    rootfsScripts: { Download_Enter_01: "", Download_Leave_01: "" },
  },
  clean: "success",
  check(r, c, order) {
    // once the commit is on disk, a single cut cannot undo it
    const landed = order.indexOf("tryboot:commit:written");
    if ("at" in c.cut && !c.cut.every && landed >= 0 && order.indexOf(c.cut.at) > landed) {
      expect(r.outcome.kind, c.label).toBe("success");
    }
    // a single cut before the first save loses nothing and installs nothing
    if ("at" in c.cut && c.cut.at === "state:Download:saved" && !c.cut.every) expect(r.outcome.kind).toBe("failure");
  },
});
