// Manifest of inventory-basic: inventory providers for os-release, agent, device type, slots, kernel and network.
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";
import { InventoryBasicConfigSchema, type InventoryBasicConfig } from "./config.js";

export const manifest: PluginManifest<InventoryBasicConfig> = {
  name: "inventory-basic",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["inventory-provider"],
  // Slot attributes appear when a bootloader or slot resolver is loaded; neither is needed.
  optional: ["bootloader", "slot-resolver"],
  config: InventoryBasicConfigSchema,
  description: "Basic inventory: os-release, agent version, device type, slots, kernel, network interfaces",
};
