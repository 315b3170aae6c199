// Every dependency-injection token of the agent, and nowhere else.
import type { InjectionToken } from "tsyringe";
import type { Platform } from "../capabilities/platform.js";
import type { StateStore } from "../capabilities/state-store.js";
import type { SlotResolver } from "../capabilities/slot-resolver.js";
import type { Bootloader } from "../capabilities/bootloader.js";
import type { UpdateModule } from "../capabilities/update-module.js";
import type { ArtifactSource } from "../capabilities/artifact-source.js";
import type { DeploymentServer } from "../capabilities/deployment-server.js";
import type { HealthCheck } from "../capabilities/health-check.js";
import type { InventoryProvider } from "../capabilities/inventory-provider.js";
import type { BootTask } from "../capabilities/boot-task.js";
import type { CliCommand } from "../capabilities/cli-command.js";
import type { BlockLineage } from "../capabilities/block-lineage.js";
import type { Logger } from "../logging/logger.js";
import type { AgentConfig } from "../config/schema.js";
import type { AgentInfo } from "../agent-info.js";
import type { InstallPipeline } from "../install/install-pipeline.js";
import type { UpdateModuleRegistry } from "../install/module-registry.js";
import type { SourceRegistry } from "../install/sources/source-registry.js";
import type { DeploymentRunner } from "../state-machine/deployment-runner.js";

/** A symbol that remembers the type it stands for, so `resolve(container, token)` is typed. */
export type Token<T> = symbol & { readonly __type?: T };

function capability<T>(name: string): Token<T> {
  // Symbol.for: a plugin built against another copy of core still matches.
  return Symbol.for(`ota.capability.${name}`) as Token<T>;
}
function internal<T>(name: string): Token<T> {
  return Symbol(`ota.core.${name}`) as Token<T>;
}

export const TOKENS = {
  // capabilities (public, shared across copies of core)
  Platform: capability<Platform>("platform"),
  StateStore: capability<StateStore>("state-store"),
  SlotResolver: capability<SlotResolver>("slot-resolver"),
  Bootloader: capability<Bootloader>("bootloader"),
  UpdateModule: capability<UpdateModule>("update-module"),
  ArtifactSource: capability<ArtifactSource>("artifact-source"),
  DeploymentServer: capability<DeploymentServer>("deployment-server"),
  HealthCheck: capability<HealthCheck>("health-check"),
  InventoryProvider: capability<InventoryProvider>("inventory-provider"),
  BootTask: capability<BootTask>("boot-task"),
  CliCommand: capability<CliCommand>("cli-command"),
  BlockLineage: capability<BlockLineage>("block-lineage"),
  Logger: capability<Logger>("logger"),
  Config: capability<AgentConfig>("config"),
  AgentInfo: capability<AgentInfo>("agent-info"),
  // core-internal services
  PluginRegistry: internal<unknown>("plugin-registry"),
  InstallPipeline: internal<InstallPipeline>("install-pipeline"),
  UpdateModuleRegistry: internal<UpdateModuleRegistry>("update-module-registry"),
  SourceRegistry: internal<SourceRegistry>("source-registry"),
  DeploymentRunner: internal<DeploymentRunner>("deployment-runner"),
} as const;

/** Narrowing helper for tsyringe, which cannot infer T from a bare symbol. */
export function asInjectionToken<T>(token: Token<T>): InjectionToken<T> {
  return token as InjectionToken<T>;
}
