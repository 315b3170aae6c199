#!/usr/bin/env node
// Checks that every Debian package in scripts/debian-packages.txt is installed; installs missing ones when root with apt.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const listPath = new URL("./debian-packages.txt", import.meta.url);
const wanted = readFileSync(listPath, "utf8")
  .split("\n")
  .map((line) => line.replace(/#.*/, "").trim())
  .filter(Boolean);

const which = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

if (!which("dpkg-query")) {
  console.log("ensure-tools: no dpkg-query (not Debian): skipping the package check; tests needing tools will say so");
  process.exit(0);
}

// One dpkg-query call for the whole list keeps this fast when everything is present.
const query = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Status}\\n", ...wanted], { encoding: "utf8" });
const installed = new Set(
  query.stdout
    .split("\n")
    .filter((line) => line.endsWith(" install ok installed"))
    .map((line) => line.split(" ")[0]),
);
const missing = wanted.filter((name) => !installed.has(name));
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || !which("apt-get")) {
  console.log(
    `ensure-tools: missing Debian packages: ${missing.join(" ")}\n` +
      `ensure-tools: ${isRoot ? "apt-get not found" : "not root"}: not installing them; ` +
      `run: sudo apt-get install -y ${missing.join(" ")}`,
  );
  process.exit(0);
}

console.log(`ensure-tools: installing ${missing.join(" ")}`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update"], ["install", "-y", ...missing]]) {
  const result = spawnSync("apt-get", args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`ensure-tools: apt-get ${args[0]} failed (exit ${result.status})`);
    process.exit(1);
  }
}
