// The new system hangs and no watchdog resets it: it stays hung until power-cycled, then the committed slot boots.
import { defineScenario } from "../../helpers/scenario-case.js";
import trialHangs from "./trial-hangs.scenario.js";

export default defineScenario({
  description: "trial hangs without a watchdog: a power cycle returns to the committed slot, failure reported",
  artifact: { name: "release-v3", version: "v3", behaviour: "hangs" },
  device: { watchdog: false },
  // the power cycle stands in for the watchdog: the very path and end of the watchdog case
  expect: trialHangs.expect,
});
