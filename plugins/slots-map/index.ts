// Entry of slots-map: builds the slot.map resolver (slot-resolver is single-choice: disable slots-gpt to use it).
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveOptional } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { MapSlotResolver } from "./map-slot-resolver.js";

export default definePlugin(manifest, async (scope, ctx) => {
  const resolver = new MapSlotResolver(resolve(scope, TOKENS.Platform), resolveOptional(scope, TOKENS.BlockLineage), {
    path: ctx.config.path,
    checkLinks: ctx.config.checkLinks,
  });
  return { exports: { "slot-resolver": resolver } };
});
