// The shape of the built-in plugin set the entry point hands to core (core never imports plugins/ itself).
import type { PluginDefinition } from "./define-plugin.js";

export interface BuiltinPluginEntry {
  /** Imports the plugin only when it is enabled. */
  load: () => Promise<PluginDefinition<any>>;
  /** Loaded unless the config's `disable` names it; others load when the config has a `plugins.<name>` section. */
  defaultEnabled: boolean;
}

/** Keyed by plugin name, which must equal the loaded manifest's name. */
export type BuiltinPluginRegistry = Readonly<Record<string, BuiltinPluginEntry>>;
