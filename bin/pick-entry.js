// Chooses what a launcher runs: a build in dist/ or the TypeScript sources through tsx, so a stale dist/ never hides source edits in a checkout.
import { existsSync } from "node:fs";

/**
 * The rule, cheap on purpose (no hashing, no mtime walk over the tree):
 * - `OTA_AGENT_PREFER_DIST=1`: the first build that exists (bundle, then tsc output), else the sources.
 * - a git checkout (`.git` at the root) whose sources and tsx are present: the sources, always. A developer's
 *   dist/ may be older than the tree, and the launcher cannot know it cheaply; running the sources cannot be stale.
 * - anything else (an installed or packed copy, no .git): the first build that exists, else the sources.
 *
 * @param {string} root the package root, ending in "/"
 * @param {{ builds: string[]; source: string }} entries root-relative paths, builds in order of preference
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ kind: "build" | "source"; path: string }} an absolute path
 */
export function pickEntry(root, entries, env = process.env) {
  const source = { kind: /** @type {const} */ ("source"), path: root + entries.source };
  const build = entries.builds.map((p) => root + p).find((p) => existsSync(p));
  const preferDist = env.OTA_AGENT_PREFER_DIST === "1";
  if (!preferDist && existsSync(root + ".git") && existsSync(source.path) && tsxAvailable()) return source;
  return build ? { kind: "build", path: build } : source;
}

/** Whether tsx can be imported from here (a dev dependency: absent from production installs). */
function tsxAvailable() {
  try {
    import.meta.resolve("tsx/esm/api");
    return true;
  } catch {
    return false;
  }
}
