// Manifest of machine-id: one machine ID for both slots, kept on the persistent partition.
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";
import { MachineIdConfigSchema, type MachineIdConfig } from "./config.js";

export const manifest: PluginManifest<MachineIdConfig> = {
  name: "machine-id",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["boot-task", "cli-command"],
  config: MachineIdConfigSchema,
  description: "Persists the first generated machine ID and applies it on every later boot of either slot",
};
