// Manifest of the in-process A/B slot writer: update modules for rpi-ab-slot and rootfs-image payloads.
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

export const manifest: PluginManifest = {
  name: "module-ab-image",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["update-module"],
  requires: ["slot-resolver"],
  optional: ["bootloader"],
  description: "Writes rpi-ab-slot (boot+system) and rootfs-image payloads into the other A/B slot and arms a trial boot",
};
