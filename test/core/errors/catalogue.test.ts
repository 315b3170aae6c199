// Keeps the error catalogue (core/errors/codes.ts and artifacts/errors.ts) and core/errors/README.md in step.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERROR_CODES } from "../../../core/errors/codes.js";

const readme = readFileSync(fileURLToPath(new URL("../../../core/errors/README.md", import.meta.url)), "utf8");
const artifactsErrors = fileURLToPath(new URL("../../../artifacts/errors.ts", import.meta.url));

/** Codes in the first column of the README's tables. */
const documented = [...readme.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);

async function artifactCodes(): Promise<string[]> {
  // Another area's file: picked up when it exists, with its ARTIFACT_ERROR_CODES object keyed by code.
  if (!existsSync(artifactsErrors)) return [];
  const module = (await import("../../../artifacts/errors.js" as string)) as { ARTIFACT_ERROR_CODES?: Record<string, unknown> };
  expect(module.ARTIFACT_ERROR_CODES, "artifacts/errors.ts must export ARTIFACT_ERROR_CODES").toBeTypeOf("object");
  return Object.keys(module.ARTIFACT_ERROR_CODES!);
}

describe("error catalogue", () => {
  it("every code in core/errors/codes.ts has a README row", () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !documented.includes(code));
    expect(missing, "add a row `| CODE | meaning | what an operator can do |` to core/errors/README.md").toEqual([]);
  });

  it("every code in artifacts/errors.ts (when present) has a README row", async () => {
    const missing = (await artifactCodes()).filter((code) => !documented.includes(code));
    expect(missing).toEqual([]);
  });

  it("every README row names a code that exists, once", async () => {
    const known = new Set([...Object.keys(ERROR_CODES), ...(await artifactCodes())]);
    expect(documented.filter((code) => !known.has(code)), "README rows for codes no catalogue defines").toEqual([]);
    expect(documented.filter((code, i) => documented.indexOf(code) !== i), "duplicate README rows").toEqual([]);
  });

  it("codes follow OTA_ERR_<AREA>_<WHAT> and core and artifacts never share one", async () => {
    const artifacts = await artifactCodes();
    for (const code of [...Object.keys(ERROR_CODES), ...artifacts]) expect(code).toMatch(/^OTA_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    expect(artifacts.filter((code) => code in ERROR_CODES)).toEqual([]);
  });

  it("every README row has a meaning and an operator action", () => {
    const rows = readme.split("\n").filter((line) => /^\|\s*`OTA_ERR_/.test(line));
    for (const row of rows) {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim());
      expect(cells, row).toHaveLength(3);
      expect(cells[1]!.length, row).toBeGreaterThan(5);
      expect(cells[2]!.length, row).toBeGreaterThan(5);
    }
  });
});
