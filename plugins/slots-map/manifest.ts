// Manifest of slots-map: the /boot/slot.map slot resolver (rpi-image-gen's fallback scheme, Oct-2025 images).
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

export const SlotsMapConfigSchema = z.strictObject({
  /** Device path of the map file. */
  path: z.string().min(1).default("/boot/slot.map"),
  /** Cross-check /dev/disk/by-slot links against the map; a disagreement is an error. */
  checkLinks: z.boolean().default(true),
});
export type SlotsMapConfig = z.output<typeof SlotsMapConfigSchema>;

export const manifest: PluginManifest<SlotsMapConfig> = {
  name: "slots-map",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["slot-resolver"],
  optional: ["block-lineage"],
  config: SlotsMapConfigSchema,
  description: "A/B slots from /boot/slot.map triplets (KIND:NAME:PART)",
};
