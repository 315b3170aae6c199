// Entry of slots-gpt: builds the GPT-label resolver, using block-lineage for encrypted layouts when loaded.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveOptional } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { GptSlotResolver } from "./gpt-slot-resolver.js";

export default definePlugin(manifest, async (scope, ctx) => {
  const resolver = new GptSlotResolver(
    resolve(scope, TOKENS.Platform),
    ctx.log,
    resolveOptional(scope, TOKENS.BlockLineage),
    { checkLinks: ctx.config.checkLinks },
  );
  return { exports: { "slot-resolver": resolver } };
});
