// Probes once whether command-line tools a test needs are on PATH, for `describe.skipIf(!...)` skip decisions.
import { execFileSync } from "node:child_process";

/** True when every named tool runs with `--version` (absent tools make the caller skip, naming them in its title). */
export function toolsInstalled(...tools: string[]): boolean {
  try {
    for (const tool of tools) execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
