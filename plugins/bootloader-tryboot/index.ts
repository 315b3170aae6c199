// Entry of bootloader-tryboot: the tryboot Bootloader over the slot resolver, and its tryboot-fragment command.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { TrybootBootloader } from "./tryboot-bootloader.js";
import { TrybootFragmentCommand } from "./tryboot-fragment-command.js";

export default definePlugin(manifest, async (scope, ctx) => {
  const bootloader = new TrybootBootloader(resolve(scope, TOKENS.Platform), resolve(scope, TOKENS.SlotResolver), ctx.log, ctx.config);
  return { exports: { bootloader, "cli-command": new TrybootFragmentCommand(bootloader) } };
});
