// Manifest of server-mender: provides the deployment-server capability for a Mender server.
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";
import { MenderConfigSchema, type MenderConfig } from "./config.js";

export const manifest: PluginManifest<MenderConfig> = {
  name: "server-mender",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["deployment-server"],
  // Inventory providers are read when present; set up first so their attributes reach the server.
  optional: ["inventory-provider"],
  config: MenderConfigSchema,
  description: "Mender server device API: authentication, deployments, status, logs, inventory",
};
