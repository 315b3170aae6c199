#!/usr/bin/env node
// Launches ota-agent: the TypeScript sources through tsx in a git checkout, else the bundle, else the tsc build (see pick-entry.js).
import { pathToFileURL, fileURLToPath } from "node:url";
import { pickEntry } from "./pick-entry.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = pickEntry(root, {
  builds: ["dist/bundle/ota-agent.mjs", "dist/plugins/entry.js"],
  source: "plugins/entry.ts",
});
if (entry.kind === "source") {
  // tsx must be registered before the first TypeScript import.
  const { register } = await import("tsx/esm/api");
  register();
}
await import(pathToFileURL(entry.path).href);
