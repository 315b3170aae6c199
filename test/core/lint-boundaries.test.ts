// Proves the lint rules for the dependency direction bite: core/ must not import plugins/, artifacts/ neither, plugins only core's surface.
import { describe, expect, it } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Lints one temporary file placed at `relPath` (removed afterwards); returns the rule ids that fired. */
async function lintProbe(relPath: string, source: string): Promise<string[]> {
  const path = root + relPath;
  await writeFile(path, source);
  try {
    const eslint = new ESLint({ cwd: root });
    const [result] = await eslint.lintFiles([path]);
    return result!.messages.map((m) => m.ruleId ?? m.message);
  } finally {
    await rm(path, { force: true });
  }
}

describe("import boundaries (eslint.config.js)", () => {
  const probe = `__lint-probe-${process.pid}.ts`;

  it("core-imports-plugins is a lint error", async () => {
    const rules = await lintProbe(
      `core/${probe}`,
      '// probe\nimport { builtinPlugins } from "../plugins/builtin.js";\nexport const n = Object.keys(builtinPlugins).length;\n',
    );
    expect(rules).toContain("no-restricted-imports");
  });

  it("artifacts-imports-core is a lint error", async () => {
    const rules = await lintProbe(
      `artifacts/${probe}`,
      '// probe\nimport { OtaError } from "../core/errors/ota-error.js";\nexport const e = OtaError;\n',
    );
    expect(rules).toContain("no-restricted-imports");
  });

  it("core importing core is fine (the rule is not simply always on)", async () => {
    const rules = await lintProbe(
      `core/${probe}`,
      '// probe\nimport { OtaError } from "./errors/ota-error.js";\nexport const e = OtaError;\n',
    );
    expect(rules).toEqual([]);
  });

  it("plugin-reaches-into-core-internals is a lint error (core/install, core/agent)", async () => {
    for (const target of ["../core/install/install-pipeline.js", "../core/agent.js"]) {
      const rules = await lintProbe(
        `plugins/${probe}`,
        `// probe\nimport * as internals from "${target}";\nexport const m = internals;\n`,
      );
      expect(rules, target).toContain("no-restricted-imports");
    }
  });

  it("a plugin importing core's published surface (capabilities, net, slots, io, agent-info) is fine", async () => {
    const rules = await lintProbe(
      `plugins/${probe}`,
      "// probe\n" +
        'import type { Platform } from "../core/capabilities/platform.js";\n' +
        'import * as net from "../core/net/server-http.js";\n' +
        'import * as slots from "../core/slots/device-tree.js";\n' +
        'import * as io from "../core/io/read-at.js";\n' +
        'import type { AgentInfo } from "../core/agent-info.js";\n' +
        "export const m = [net, slots, io];\nexport type T = [Platform, AgentInfo];\n",
    );
    expect(rules).toEqual([]);
  });

  it("a floating promise is a lint error", async () => {
    const rules = await lintProbe(`core/${probe}`, "// probe\nasync function f(): Promise<void> {}\nf();\n");
    expect(rules).toContain("@typescript-eslint/no-floating-promises");
  });
});
