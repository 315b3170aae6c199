// Runs every declarative scenario in cases/ on a fresh simulated Raspberry Pi.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
import { runScenario, type Scenario } from "../helpers/scenario-case.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "cases");
const files = readdirSync(dir).filter((f) => f.endsWith(".scenario.ts")).sort();

describe("scenarios", () => {
  for (const file of files) {
    const slug = file.replace(/\.scenario\.ts$/, "");
    it(slug, async () => {
      const scenario = ((await import(join(dir, file))) as { default: Scenario }).default;
      await runScenario(scenario);
    });
  }
});
