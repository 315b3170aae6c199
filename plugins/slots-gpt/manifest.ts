// Manifest of slots-gpt: the GPT-label slot resolver (rpi-image-gen's preferred scheme).
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

export const SlotsGptConfigSchema = z.strictObject({
  /** Cross-check /dev/disk/by-slot links against the partition table; a disagreement is an error. */
  checkLinks: z.boolean().default(true),
});
export type SlotsGptConfig = z.output<typeof SlotsGptConfigSchema>;

export const manifest: PluginManifest<SlotsGptConfig> = {
  name: "slots-gpt",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["slot-resolver"],
  optional: ["block-lineage"],
  config: SlotsGptConfigSchema,
  description: "A/B slots from the boot disk's GPT labels (boot_a/boot_b, system_a/system_b)",
};
