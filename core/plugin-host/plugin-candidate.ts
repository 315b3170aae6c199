// A plugin chosen for loading, before its manifest is checked: where it came from and what it exported.
import type { PluginDefinition } from "./define-plugin.js";

/** builtin: plugins/builtin.ts; path: a file named in `load`; npm: a package named in `load`. */
export type PluginSource = "builtin" | "path" | "npm";

export interface PluginCandidate {
  definition: PluginDefinition<unknown>;
  source: PluginSource;
  /** The built-in's name, the resolved file path or the package name. */
  origin: string;
}
