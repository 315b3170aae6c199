// Power cut at every persisted step, script point and durable write of a successful deployment: it always settles.
import { expect } from "vitest";
import { artifactScriptsEverywhere, definePowerCutMatrix, rootfsScriptsEverywhere } from "../helpers/scenario-power-cut.js";
import { PERSISTED_TO_TRIAL, SCRIPT_POINTS_TO_TRIAL } from "../helpers/matrix-paths.js";

definePowerCutMatrix({
  recipe: {
    name: "success",
    artifact: { name: "release-v2", version: "v2", scripts: artifactScriptsEverywhere() },
    rootfsScripts: rootfsScriptsEverywhere(),
  },
  clean: "success",
  persisted: [...PERSISTED_TO_TRIAL, "ArtifactCommit", "AfterCommit", "Cleanup", "UpdateStatusReport"],
  scriptPoints: [...SCRIPT_POINTS_TO_TRIAL, "ArtifactCommit_Enter", "ArtifactCommit_Leave", "Idle_Enter"],
  check(r, c, order) {
    // once the commit is on disk, a single cut cannot undo it
    const landed = order.indexOf("tryboot:commit:written");
    if ("at" in c.cut && !c.cut.every && landed >= 0 && order.indexOf(c.cut.at) > landed) {
      expect(r.outcome.kind, c.label).toBe("success");
    }
    // a single cut before the first save loses nothing and installs nothing
    if ("at" in c.cut && !c.cut.every && order.indexOf(c.cut.at) < order.indexOf("state:Download:saved")) {
      expect(r.outcome.kind, c.label).toBe("nothing");
    }
    if ("at" in c.cut && c.cut.at === "state:Download:saved" && !c.cut.every) expect(r.outcome.kind).toBe("failure");
  },
});
