#!/usr/bin/env node
// Launches ota-artifact: the TypeScript sources through tsx in a git checkout, else the bundle, else the tsc build (see pick-entry.js).
import { pathToFileURL, fileURLToPath } from "node:url";
import { pickEntry } from "./pick-entry.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = root + "dist/bundle/ota-artifact.mjs";
const entry = pickEntry(root, {
  builds: ["dist/bundle/ota-artifact.mjs", "dist/artifacts/cli/main.js"],
  source: "artifacts/cli/main.ts",
});
if (entry.kind === "source") {
  const { register } = await import("tsx/esm/api");
  register();
}
const module = await import(pathToFileURL(entry.path).href);
// The bundle runs main() itself; the tsc build and the sources export it.
if (entry.path !== bundle) process.exitCode = await module.main(process.argv.slice(2));
