// Entry of inventory-basic: one inventory provider per source, minus the excluded ones.
import type { DependencyContainer } from "tsyringe";
import { definePlugin, type PluginContext } from "../../core/plugin-host/define-plugin.js";
import type { InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveOptional } from "../../core/di/resolve.js";
import type { InventoryBasicConfig } from "./config.js";
import { manifest } from "./manifest.js";
import { OsReleaseInventory } from "./os-release-inventory.js";
import { AgentInventory } from "./agent-inventory.js";
import { DeviceTypeInventory } from "./device-type-inventory.js";
import { SlotsInventory } from "./slots-inventory.js";
import { KernelInventory } from "./kernel-inventory.js";
import { NetworkInventory } from "./network-inventory.js";

export default definePlugin(manifest, async (scope: DependencyContainer, ctx: PluginContext<InventoryBasicConfig>) => {
  const platform = resolve(scope, TOKENS.Platform);
  const providers: InventoryProvider[] = [
    new OsReleaseInventory(platform),
    new AgentInventory(ctx.agent),
    new DeviceTypeInventory(ctx.agent),
    // Resolved at collect time: the boot capabilities may be set up after this plugin.
    new SlotsInventory(
      () => resolveOptional(scope, TOKENS.Bootloader),
      () => resolveOptional(scope, TOKENS.SlotResolver),
    ),
    new KernelInventory(platform),
    new NetworkInventory(platform),
  ].filter((p) => !(ctx.config.exclude as readonly string[]).includes(p.name));
  return { exports: { "inventory-provider": providers } };
});
