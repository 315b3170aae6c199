#!/usr/bin/env node
// Launches ota-agent: the bundled build, else the tsc build, else the TypeScript sources through tsx (fresh clone).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const candidates = ["dist/bundle/ota-agent.mjs", "dist/plugins/entry.js"];
const built = candidates.map((p) => root + p).find((p) => existsSync(p));
if (built) {
  await import(pathToFileURL(built).href);
} else {
  // No build: compile on the fly. tsx must be registered before the first TypeScript import.
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(root + "plugins/entry.ts").href);
}
