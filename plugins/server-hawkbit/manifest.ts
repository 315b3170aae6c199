// Manifest of server-hawkbit: provides the deployment-server capability for an Eclipse hawkBit server (DDI API).
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";
import { HawkbitConfigSchema, type HawkbitConfig } from "./config.js";

export const manifest: PluginManifest<HawkbitConfig> = {
  name: "server-hawkbit",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["deployment-server"],
  // configData attributes come from the inventory providers when they are loaded.
  optional: ["inventory-provider"],
  config: HawkbitConfigSchema,
  description: "Eclipse hawkBit DDI API: polling, deployments, feedback, cancel, configData",
};
