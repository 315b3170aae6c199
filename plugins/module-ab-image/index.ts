// Plugin entry: builds the rpi-ab-slot and rootfs-image modules over the slot resolver and the optional bootloader.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveOptional } from "../../core/di/resolve.js";
import type { AgentConfig } from "../../core/config/schema.js";
import { manifest } from "./manifest.js";
import { AbImageModule, type AbImageSettings } from "./ab-image-module.js";

export default definePlugin(manifest, async (scope) => {
  await Promise.resolve();
  const platform = resolve(scope, TOKENS.Platform);
  // looked up per call: the bootloader plugin may be disabled, and a slot layout can change between deployments
  const slots = () => resolve(scope, TOKENS.SlotResolver);
  const bootloader = () => resolveOptional(scope, TOKENS.Bootloader);
  const settings = (): AbImageSettings => {
    const config: AgentConfig = resolve(scope, TOKENS.Config);
    return {
      frameBytes: config.install.frameBytes,
      readCompareWrite: config.install.readCompareWrite,
      readBackVerify: config.install.readBackVerify,
    };
  };
  return {
    exports: {
      "update-module": [
        new AbImageModule("rpi-ab-slot", platform, slots, bootloader, settings),
        new AbImageModule("rootfs-image", platform, slots, bootloader, settings),
      ],
    },
  };
});
