// The built-in plugin set, loaded lazily by name; the entry point hands it to core (core never imports plugins/).
import type { PluginDefinition } from "../core/plugin-host/define-plugin.js";

export interface BuiltinPlugin {
  /** Imports the plugin only when it is enabled, so unused plugins cost no memory. */
  load: () => Promise<PluginDefinition<any>>;
  /** Loaded unless the config's `disable` names it; others load when the config has a `plugins.<name>` section. */
  defaultEnabled: boolean;
}

/** Keyed by plugin name (must equal the manifest's name). Keep alphabetical. */
export const builtinPlugins: Record<string, BuiltinPlugin> = {
  "bootloader-tryboot": { load: () => import("./bootloader-tryboot/index.js").then((m) => m.default), defaultEnabled: true },
  devmapper: { load: () => import("./devmapper/index.js").then((m) => m.default), defaultEnabled: true },
  "health-systemd": { load: () => import("./health-systemd/index.js").then((m) => m.default), defaultEnabled: true },
  "inventory-basic": { load: () => import("./inventory-basic/index.js").then((m) => m.default), defaultEnabled: true },
  "machine-id": { load: () => import("./machine-id/index.js").then((m) => m.default), defaultEnabled: true },
  "module-ab-image": { load: () => import("./module-ab-image/index.js").then((m) => m.default), defaultEnabled: true },
  "module-external": { load: () => import("./module-external/index.js").then((m) => m.default), defaultEnabled: true },
  persistence: { load: () => import("./persistence/index.js").then((m) => m.default), defaultEnabled: true },
  // Fleet servers load only when the config has their `plugins.<name>` section (deployment-server is single-choice).
  "server-hawkbit": { load: () => import("./server-hawkbit/index.js").then((m) => m.default), defaultEnabled: false },
  "server-mender": { load: () => import("./server-mender/index.js").then((m) => m.default), defaultEnabled: false },
  "slots-gpt": { load: () => import("./slots-gpt/index.js").then((m) => m.default), defaultEnabled: true },
  // Off by default: slot-resolver is single-choice, so enabling slots-map needs `disable: ["slots-gpt"]`.
  "slots-map": { load: () => import("./slots-map/index.js").then((m) => m.default), defaultEnabled: false },
};
