// Manifest and config schema of the Update Module v3 runner for external executables.
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

export const configSchema = z.strictObject({
  /** Directories searched in order (device paths); the first executable named after a payload type wins. */
  dirs: z.array(z.string().min(1)).default(["/usr/share/mender/modules/v3", "/usr/lib/ota-agent/modules"]),
  /** Time limit of one module call (Mender's ModuleTimeoutSeconds), seconds. */
  timeoutSeconds: z.number().int().positive().default(14_400),
  /** Payload types never taken from these dirs: the in-process modules of module-ab-image handle them. */
  exclude: z.array(z.string().min(1)).default(["rpi-ab-slot", "rootfs-image"]),
});

export type ExternalModuleConfig = z.output<typeof configSchema>;

export const manifest: PluginManifest<ExternalModuleConfig> = {
  name: "module-external",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["update-module"],
  config: configSchema,
  description: "Runs Mender Update Module v3 executables (single-file, directory, deb, script, your own)",
};
