// The `plugins.inventory-basic` config section: which of its providers to leave out.
import * as z from "zod";

export const INVENTORY_PROVIDER_NAMES = ["os-release", "agent", "device-type", "slots", "kernel", "network"] as const;

export const InventoryBasicConfigSchema = z.strictObject({
  /** Providers not to run, by name. */
  exclude: z.array(z.enum(INVENTORY_PROVIDER_NAMES)).default([]),
});

export type InventoryBasicConfig = z.output<typeof InventoryBasicConfigSchema>;
