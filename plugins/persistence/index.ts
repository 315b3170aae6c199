// Entry of persistence: wires the generator, the fresh-/var policy and the shared seeder into a BootTask and commands.
import type { DependencyContainer } from "tsyringe";
import { definePlugin, type PluginContext } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve, resolveAll, resolveOptional } from "../../core/di/resolve.js";
import type { PersistenceConfig } from "./config.js";
import { manifest } from "./manifest.js";
import { BootedSystemDetector } from "./booted-system.js";
import { KernelLog } from "./kernel-log.js";
import { PersistenceGenerator } from "./persistence-generator.js";
import { FreshVar } from "./fresh-var.js";
import { SharedSeeder } from "./shared-seeder.js";
import { PersistenceTask } from "./persistence-task.js";
import { GenerateCommand } from "./generate-command.js";
import { PersistentInitCommand } from "./persistent-init-command.js";
import { BootTaskCommand } from "./boot-task-command.js";

export default definePlugin(manifest, async (scope: DependencyContainer, ctx: PluginContext<PersistenceConfig>) => {
  const platform = resolve(scope, TOKENS.Platform);
  const config = ctx.config;
  // resolved when the generator runs, not at set-up: the resolver may come from a plugin set up later
  const detector = new BootedSystemDetector(platform, config.fallbackSlot, () => resolveOptional(scope, TOKENS.SlotResolver));
  const generator = new PersistenceGenerator(platform, detector, new KernelLog(platform, ctx.log), {
    device: config.device,
    label: config.label,
  });
  const freshVar = new FreshVar(platform, ctx.log, config.freshVar);
  const task = new PersistenceTask(platform, ctx.log, detector, generator, freshVar, new SharedSeeder(platform, ctx.log));
  const allTasks = () => {
    const registered = resolveAll(scope, TOKENS.BootTask);
    return registered.some((t) => t.name === task.name) ? registered : [task, ...registered];
  };
  return {
    exports: {
      "boot-task": task,
      "cli-command": [new GenerateCommand(allTasks, ctx.log), new PersistentInitCommand(task), new BootTaskCommand(allTasks)],
    },
  };
});
