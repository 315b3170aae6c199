// Entry of server-mender: builds the Mender client from the plugin config and the core platform.
import type { DependencyContainer } from "tsyringe";
import { definePlugin, type PluginContext } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveAll } from "../../core/di/resolve.js";
import type { MenderConfig } from "./config.js";
import { manifest } from "./manifest.js";
import { MenderClient } from "./mender-client.js";

export default definePlugin(manifest, async (scope: DependencyContainer, ctx: PluginContext<MenderConfig>) => {
  const platform = resolve(scope, TOKENS.Platform);
  const client = new MenderClient({
    platform,
    log: ctx.log,
    config: ctx.config,
    keyFile: ctx.config.keyFile ?? `${ctx.agent.dataDir.replace(/\/+$/, "")}/server-mender/device-key.pem`,
    inventoryProviders: () => resolveAll(scope, TOKENS.InventoryProvider),
  });
  return { exports: { "deployment-server": client } };
});
