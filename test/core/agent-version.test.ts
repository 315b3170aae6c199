// The version plugins are checked against is the package's own.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AGENT_VERSION } from "../../core/plugin-host/agent-version.js";

describe("AGENT_VERSION", () => {
  it("equals package.json version", () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as { version: string };
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});
