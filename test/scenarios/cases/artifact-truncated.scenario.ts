// A truncated artifact fails in Download: the other slot may hold a partial image, but nothing is armed.
import { defineScenario, ON_FACTORY_IMAGE } from "../../helpers/scenario-case.js";

export default defineScenario({
  description: "artifact truncated in data: Download fails, Cleanup runs, nothing armed, failure reported",
  artifact: { name: "release-v2", version: "v2", truncateTo: 100_000 },
  expect: {
    outcome: "failure",
    chain: [],
    statuses: ["downloading", "failure"],
    ...ON_FACTORY_IMAGE,
  },
});
