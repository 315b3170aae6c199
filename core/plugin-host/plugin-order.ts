// Orders plugins so every provider is set up before the plugins that require (or optionally use) it.
import type { PluginManifest } from "./define-plugin.js";
import { OtaError } from "../errors/index.js";

/**
 * Topological order over requires/optional → provides (and "plugin:<name>" → that plugin). Ties keep the input
 * order (built-ins alphabetically, then `load` entries in config order), so the result is deterministic.
 * Throws OTA_ERR_PLUGIN_CYCLE naming the plugins in the cycle.
 */
export function orderPlugins<T extends { manifest: PluginManifest<unknown> }>(plugins: readonly T[]): T[] {
  const index = new Map(plugins.map((plugin, i) => [plugin.manifest.name, i]));
  const before: Set<number>[] = plugins.map(() => new Set<number>());
  plugins.forEach((plugin, i) => {
    for (const need of [...(plugin.manifest.requires ?? []), ...(plugin.manifest.optional ?? [])]) {
      if (need.startsWith("plugin:")) {
        const j = index.get(need.slice("plugin:".length));
        if (j !== undefined && j !== i) before[i]!.add(j);
        continue;
      }
      plugins.forEach((other, j) => {
        if (j !== i && (other.manifest.provides as readonly string[]).includes(need)) before[i]!.add(j);
      });
    }
  });

  const done = new Set<number>();
  const order: T[] = [];
  while (order.length < plugins.length) {
    const next = plugins.findIndex((_, i) => !done.has(i) && [...before[i]!].every((j) => done.has(j)));
    if (next === -1) {
      const cycle = findCycle(before, done).map((i) => plugins[i]!.manifest.name);
      throw new OtaError("OTA_ERR_PLUGIN_CYCLE", `plugins require each other in a cycle: ${cycle.join(" → ")}`, {
        details: { cycle },
      });
    }
    done.add(next);
    order.push(plugins[next]!);
  }
  return order;
}

/** Walks unfinished dependencies from any unfinished node until a node repeats. */
function findCycle(before: readonly Set<number>[], done: Set<number>): number[] {
  let current = before.findIndex((_, i) => !done.has(i));
  const path: number[] = [];
  while (!path.includes(current)) {
    path.push(current);
    current = [...before[current]!].find((j) => !done.has(j))!;
  }
  return [...path.slice(path.indexOf(current)), current].reverse();
}
