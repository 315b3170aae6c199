#!/usr/bin/env node
// Runs the benchmarks in bench/*.bench.ts one after another with tsx (optionally only those matching argv filters).
import { existsSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const benchDir = root + "bench";
const filters = process.argv.slice(2);
const all = existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith(".bench.ts")).sort() : [];
const chosen = filters.length === 0 ? all : all.filter((f) => filters.some((filter) => f.includes(filter)));

if (chosen.length === 0) {
  console.log(filters.length ? `bench: no benchmark matches ${filters.join(" ")} (have: ${all.join(", ") || "none"})` : "bench: no benchmarks in bench/");
  process.exit(filters.length ? 1 : 0);
}

const tsx = root + "node_modules/tsx/dist/cli.mjs";
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== ${file}`);
  // Sequential and inheriting stdio: benchmarks print their own figures and must not compete for the CPU.
  const result = spawnSync(process.execPath, [tsx, `bench/${file}`], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    failed += 1;
    console.log(`=== ${file} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed ? 1 : 0);
