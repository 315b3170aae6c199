// The capabilities plugins can provide: their names, tokens, types and whether one or many may be loaded.
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
import { TOKENS, type Token } from "../di/tokens.js";

/** The TypeScript type behind each capability name. */
export interface CapabilityTypes {
  platform: Platform;
  "state-store": StateStore;
  "slot-resolver": SlotResolver;
  bootloader: Bootloader;
  "update-module": UpdateModule;
  "artifact-source": ArtifactSource;
  "deployment-server": DeploymentServer;
  "health-check": HealthCheck;
  "inventory-provider": InventoryProvider;
  "boot-task": BootTask;
  "cli-command": CliCommand;
  "block-lineage": BlockLineage;
}

export type CapabilityName = keyof CapabilityTypes;

export interface CapabilitySpec<K extends CapabilityName> {
  token: Token<CapabilityTypes[K]>;
  /** single: at most one plugin may provide it; multi: many, in load order. */
  cardinality: "single" | "multi";
  /** Provided by core itself; plugins may not provide it. */
  core?: boolean;
}

export const CAPABILITIES: { [K in CapabilityName]: CapabilitySpec<K> } = {
  platform: { token: TOKENS.Platform, cardinality: "single", core: true },
  "state-store": { token: TOKENS.StateStore, cardinality: "single", core: true },
  "slot-resolver": { token: TOKENS.SlotResolver, cardinality: "single" },
  bootloader: { token: TOKENS.Bootloader, cardinality: "single" },
  // multi, but two modules for the same payloadType are a conflict (checked by the host)
  "update-module": { token: TOKENS.UpdateModule, cardinality: "multi" },
  "artifact-source": { token: TOKENS.ArtifactSource, cardinality: "multi" },
  "deployment-server": { token: TOKENS.DeploymentServer, cardinality: "single" },
  "health-check": { token: TOKENS.HealthCheck, cardinality: "multi" },
  "inventory-provider": { token: TOKENS.InventoryProvider, cardinality: "multi" },
  "boot-task": { token: TOKENS.BootTask, cardinality: "multi" },
  "cli-command": { token: TOKENS.CliCommand, cardinality: "multi" },
  "block-lineage": { token: TOKENS.BlockLineage, cardinality: "single" },
};
