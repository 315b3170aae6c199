// Turns zod issues into one line per problem, each naming the JSON path of the offending key.
import type { z } from "zod";

type Issue = z.core.$ZodIssue;

/** "plugins.slots-gpt.bootDisk: expected string, received number" for each issue, `base` prefixed to every path. */
export function formatIssues(issues: readonly Issue[], base: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${jsonPath([...path, key])}: unknown key`);
    } else {
      lines.push(`${jsonPath(path)}: ${issue.message.replace(/^Invalid input: /, "")}`);
    }
  }
  return lines;
}

/** Dotted path as in the docs ("log.level", "load[0]"); "(root)" for the document itself. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}
