// Manifest of persistence: boot tasks and CLI commands that keep state on the shared persistent partition.
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";
import { PersistenceConfigSchema, type PersistenceConfig } from "./config.js";

export const manifest: PluginManifest<PersistenceConfig> = {
  name: "persistence",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["boot-task", "cli-command"],
  // Used as the third source of the booted slot when loaded; never required (the generator must work alone).
  optional: ["slot-resolver"],
  config: PersistenceConfigSchema,
  description: "Persistent partition, per-slot /var, /home, journal and slot-shared bind mounts; fresh /var after commit",
};
