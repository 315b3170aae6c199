// Manifest of devmapper: boot-disk lineage through device-mapper/LUKS2, and opening LUKS containers left closed.
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

const ContainerSchema = z.strictObject({
  /** LUKS2 header label, e.g. "USERDATA_CRYPT" (rpi-image-gen: OSDATA_CRYPT, OSAB_CRYPT, USERDATA_CRYPT). */
  label: z.string().min(1).max(47),
  /** dm name, e.g. "userdata_crypt". */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  /** Program that prints the key on stdout (crypttab keyscript=), e.g. /lib/cryptsetup/keyscripts/hwkey. */
  keyscript: z.string().startsWith("/"),
  /** The keyscript's argument (crypttab's key field). */
  keyscriptArg: z.string().default("none"),
  /** Map the partitions inside with kpartx -av -p p. */
  partitioned: z.boolean().default(true),
});

export const DevmapperConfigSchema = z.strictObject({
  /** LUKS2 containers on the boot disk to open at early boot when the initramfs did not. Default none. */
  containers: z.array(ContainerSchema).default([]),
  /** Timeout for each cryptsetup / kpartx run, ms. */
  timeoutMs: z.number().int().positive().default(60_000),
});
export type DevmapperConfig = z.output<typeof DevmapperConfigSchema>;

export const manifest: PluginManifest<DevmapperConfig> = {
  name: "devmapper",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["block-lineage", "boot-task"],
  config: DevmapperConfigSchema,
  description: "Boot-disk lineage through device-mapper and LUKS2; opens configured LUKS containers",
};
