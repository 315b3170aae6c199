// Keeps README "Configuration" in step with core/config/schema.ts: every key documented, with its real default.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AgentConfigSchema } from "../../../core/config/schema.js";
import { parseConfig } from "../../../core/config/load-config.js";

interface JsonSchemaNode {
  type?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
}

/** Leaf keys of the schema ("install.http.retries") with their defaults; `plugins` stays one key. */
function schemaKeys(): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  const walk = (node: JsonSchemaNode, path: string[]): void => {
    if (node.type === "object" && node.properties && path[0] !== "plugins") {
      for (const [key, inner] of Object.entries(node.properties)) walk(inner, [...path, key]);
    } else keys.set(path.join("."), node.default);
  };
  walk(z.toJSONSchema(AgentConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode, []);
  return keys;
}

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));

/** Rows `| \`key\` | type | default | meaning |` of the Configuration table. */
function readmeRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const key = /^`([A-Za-z0-9.]+)`$/.exec(cells[1] ?? "")?.[1];
    if (key && cells.length >= 6) rows.set(key, cells[3]!);
  }
  return rows;
}

function shownDefault(value: unknown): string {
  return value === undefined ? "(none)" : `\`${JSON.stringify(value)}\``;
}

describe("README configuration table", () => {
  it("documents every schema key with its default, and nothing else", () => {
    const keys = schemaKeys();
    const rows = readmeRows();
    const missing = [...keys].filter(([key]) => !rows.has(key)).map(([key, def]) => `| \`${key}\` | ? | ${shownDefault(def)} | ? |`);
    expect(missing, "add these rows to README.md → Configuration (copy the meaning from schema.ts)").toEqual([]);
    const wrong = [...keys].filter(([key, def]) => rows.get(key) !== shownDefault(def)).map(([key, def]) => `${key}: ${shownDefault(def)}`);
    expect(wrong, "README shows a different default than schema.ts").toEqual([]);
    expect([...rows.keys()].filter((key) => !keys.has(key)), "README rows for keys the schema does not have").toEqual([]);
  });

  it("the example config in the README is valid", () => {
    const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    expect(() => parseConfig(JSON.parse(example!))).not.toThrow();
  });
});
