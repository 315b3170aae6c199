// Plugin entry: one ExternalModule export per Update Module v3 executable found in the configured directories.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { discoverModules } from "./module-discovery.js";
import { ExternalModule } from "./external-module.js";

export default definePlugin(manifest, async (scope, ctx) => {
  const platform = resolve(scope, TOKENS.Platform);
  const found = await discoverModules(platform, ctx.config.dirs, ctx.config.exclude, ctx.log);
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  return {
    exports: {
      "update-module": found.map((m) => new ExternalModule(m.payloadType, m.executable, platform, timeoutMs)),
    },
  };
});
