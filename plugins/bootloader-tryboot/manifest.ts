// Manifest of bootloader-tryboot: the Raspberry Pi firmware's tryboot as the Bootloader, plus `tryboot-fragment`.
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

export const TrybootConfigSchema = z.strictObject({
  /**
   * Where autoboot.txt is written: "mounted" (the file at autobootPath), "raw" (the FAT on bootconfigDevice,
   * rewritten in place), or "auto" (mounted when autobootPath exists or its directory is a mount point, else raw).
   */
  bootconfig: z.enum(["auto", "mounted", "raw"]).default("auto"),
  /** Device path of autoboot.txt on the mounted bootconfig partition. */
  autobootPath: z.string().min(1).default("/bootfs/autoboot.txt"),
  /** The bootconfig partition for raw mode. Default: the slot layout's bootconfig, else /dev/disk/by-slot/bootconfig. */
  bootconfigDevice: z.string().min(1).optional(),
  /** Refuse to arm when the firmware reports capabilities without TRYBOOT_A_B (old EEPROM). */
  requireTrybootAB: z.boolean().default(true),
});
export type TrybootConfig = z.output<typeof TrybootConfigSchema>;

export const manifest: PluginManifest<TrybootConfig> = {
  name: "bootloader-tryboot",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["bootloader", "cli-command"],
  requires: ["slot-resolver"],
  config: TrybootConfigSchema,
  description: "A/B boot choice through the Raspberry Pi firmware's autoboot.txt and one-shot tryboot",
};
