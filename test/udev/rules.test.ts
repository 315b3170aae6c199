// The udev rule files: well-formed key/operator/value lines, programs that exist, gating before any link is made.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UDEV_DIR } from "./shell-runner.js";

const RULES = join(UDEV_DIR, "rules.d");
const files = readdirSync(RULES).filter((f) => f.endsWith(".rules"));
// KEY or KEY{attr}, an operator, a double-quoted value without unescaped quotes.
const PAIR = /^[A-Z_]+(\{[A-Za-z0-9_]+\})?(==|!=|\+=|-=|:=|=)"[^"]*"$/;

describe.each(files)("%s", (file) => {
  const lines = readFileSync(join(RULES, file), "utf8").split("\n");

  it("every rule line is a list of KEY op \"value\" pairs", () => {
    for (const line of lines) {
      if (line.trim() === "" || line.startsWith("#")) continue;
      for (const pair of line.split(", ")) expect(pair, `${file}: ${line}`).toMatch(PAIR);
    }
  });

  it("every IMPORT{program} names a helper shipped in udev/", () => {
    const programs = lines.flatMap((l) => [...l.matchAll(/IMPORT\{program\}="([^ "]+)/g)].map((m) => m[1] as string));
    expect(programs.length).toBeGreaterThan(0);
    for (const p of programs) expect(existsSync(join(UDEV_DIR, p)), p).toBe(true);
  });

  it("every GOTO has its LABEL", () => {
    const gotos = lines.flatMap((l) => [...l.matchAll(/GOTO="([^"]+)"/g)].map((m) => m[1]));
    const labels = lines.flatMap((l) => [...l.matchAll(/^LABEL="([^"]+)"/g)].map((m) => m[1]));
    for (const g of gotos) expect(labels).toContain(g);
  });
});

it("slot links are only made for devices tagged as on the boot disk", () => {
  const slot = readFileSync(join(RULES, "99-ota-01-slot.rules"), "utf8").split("\n");
  const gate = slot.findIndex((l) => l.includes('ENV{OTA_ONBOOTDEV}!="1", GOTO='));
  const firstImport = slot.findIndex((l) => l.includes("IMPORT{program}"));
  const link = slot.findIndex((l) => l.includes("SYMLINK+="));
  expect(gate).toBeGreaterThanOrEqual(0);
  expect(gate).toBeLessThan(firstImport);
  expect(gate).toBeLessThan(link);
});
