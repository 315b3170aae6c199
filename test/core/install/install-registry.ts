// Test helper: the plugin set `ota-agent install` tests run with — a slot resolver on a SlotRoot, module-ab-image,
// and optionally a fake bootloader.
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import { definePlugin } from "../../../core/plugin-host/define-plugin.js";
import type { BuiltinPluginRegistry } from "../../../core/plugin-host/builtin-registry.js";
import { builtinPlugins } from "../../../plugins/builtin.js";
import type { SlotRoot } from "./install-fixtures.js";

export function installRegistry(sr: SlotRoot, bootloader?: Bootloader): BuiltinPluginRegistry {
  const reg: Record<string, BuiltinPluginRegistry[string]> = {
    "slots-test": {
      defaultEnabled: true,
      load: async () =>
        definePlugin({ name: "slots-test", version: "1.0.0", agent: "^0.1.0", provides: ["slot-resolver"] }, async () => ({
          exports: { "slot-resolver": sr.slots },
        })),
    },
    "module-ab-image": builtinPlugins["module-ab-image"]!,
  };
  if (bootloader !== undefined) {
    reg["bootloader-test"] = {
      defaultEnabled: true,
      load: async () =>
        definePlugin({ name: "bootloader-test", version: "1.0.0", agent: "^0.1.0", provides: ["bootloader"] }, async () => ({
          exports: { bootloader },
        })),
    };
  }
  return reg;
}
