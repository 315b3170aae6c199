#!/usr/bin/env node
// Launches ota-artifact: the bundled build, else the tsc build, else the TypeScript sources through tsx (fresh clone).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundled = root + "dist/bundle/ota-artifact.mjs";
if (existsSync(bundled)) {
  // The bundle runs main() itself.
  await import(pathToFileURL(bundled).href);
} else {
  let entry = root + "dist/artifacts/cli/main.js";
  if (!existsSync(entry)) {
    const { register } = await import("tsx/esm/api");
    register();
    entry = root + "artifacts/cli/main.ts";
  }
  const { main } = await import(pathToFileURL(entry).href);
  process.exitCode = await main(process.argv.slice(2));
}
