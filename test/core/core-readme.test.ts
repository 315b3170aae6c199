// Keeps core/README.md's "Every edge" table the same graph as core/state-machine/transitions.ts, and the README linked.
import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { TRANSITIONS } from "../../core/state-machine/transitions.js";

const root = new URL("../../", import.meta.url);

/** Edges written in the table as "from --event--> to [stop]" strings. */
function tableEdges(markdown: string): string[] {
  const section = markdown.split("### Every edge")[1] ?? "";
  const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| state"));
  const edges: string[] = [];
  const header = section.split("\n").find((l) => l.startsWith("| state"));
  const events = header!.split("|").slice(2, -1).map((c) => c.trim());
  for (const row of rows) {
    const [from, ...cells] = row.split("|").slice(1, -1).map((c) => c.trim());
    cells.forEach((cell, i) => {
      if (cell === "·") return;
      const stop = cell.startsWith("⏸");
      edges.push(`${from} --${events[i]}--> ${cell.replace("⏸", "").trim()}${stop ? " stop" : ""}`);
    });
  }
  return edges.sort();
}

describe("core/README.md", () => {
  it("its edge table lists exactly the transitions of transitions.ts (a stale diagram fails here)", async () => {
    const markdown = await readFile(new URL("core/README.md", root), "utf8");
    const fromCode = TRANSITIONS.map((t) => `${t.from} --${t.event}--> ${t.to}${t.mode === "stop" ? " stop" : ""}`);
    expect(tableEdges(markdown)).toEqual(fromCode.sort());
  });

  it("is linked from the top-level README", async () => {
    expect(await readFile(new URL("README.md", root), "utf8")).toContain("(core/README.md)");
  });
});
