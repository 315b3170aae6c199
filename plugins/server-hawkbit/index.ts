// Entry of server-hawkbit: builds the DDI client from the plugin config and the core platform.
import type { DependencyContainer } from "tsyringe";
import { definePlugin, type PluginContext } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveAll } from "../../core/di/resolve.js";
import type { HawkbitConfig } from "./config.js";
import { HawkbitClient } from "./hawkbit-client.js";
import { manifest } from "./manifest.js";

export default definePlugin(manifest, async (scope: DependencyContainer, ctx: PluginContext<HawkbitConfig>) => {
  const client = new HawkbitClient({
    platform: resolve(scope, TOKENS.Platform),
    log: ctx.log,
    config: ctx.config,
    inventoryProviders: () => resolveAll(scope, TOKENS.InventoryProvider),
  });
  // A held failure feedback is sent before shutdown so the action does not stay open on the server.
  return { exports: { "deployment-server": client }, close: () => client.close() };
});
