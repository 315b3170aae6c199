// Entry of machine-id: the sync as an early BootTask and as the `machine-id-sync` command.
import type { DependencyContainer } from "tsyringe";
import { definePlugin, type PluginContext } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import type { MachineIdConfig } from "./config.js";
import { manifest } from "./manifest.js";
import { MachineIdSync } from "./machine-id-sync.js";
import { MachineIdTask } from "./machine-id-task.js";
import { MachineIdSyncCommand } from "./machine-id-sync-command.js";

export default definePlugin(manifest, async (scope: DependencyContainer, ctx: PluginContext<MachineIdConfig>) => {
  const syncer = new MachineIdSync(resolve(scope, TOKENS.Platform), ctx.log, ctx.config);
  return { exports: { "boot-task": new MachineIdTask(syncer), "cli-command": new MachineIdSyncCommand(syncer) } };
});
