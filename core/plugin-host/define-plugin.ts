// The plugin contract: a manifest plus a setup function, bundled by definePlugin for the host to load.
import type { DependencyContainer } from "tsyringe";
import type { ZodType } from "zod";
import type { Logger } from "../logging/logger.js";
import type { StateStore } from "../capabilities/state-store.js";
import type { AgentInfo } from "../agent-info.js";
import type { CapabilityName, CapabilityTypes } from "./capability-table.js";

export interface PluginManifest<C = unknown> {
  /** Unique, kebab-case, `<kind>-<tech>` ("bootloader-tryboot"). Never inferred. */
  name: string;
  /** The plugin's own semver. */
  version: string;
  /** Semver range of the agent this plugin supports ("^0.1.0"); checked at load. */
  agent: string;
  /** Capabilities this plugin exports (see capability-table.ts). */
  provides: readonly CapabilityName[];
  /**
   * Capabilities (or plugin names, as "plugin:<name>") that must be provided by plugins set up before this one.
   * Core always provides platform, state-store, logger, config and agent-info.
   */
  requires?: readonly string[];
  /** Capabilities used when present, never required; they order set-up when provided. */
  optional?: readonly string[];
  /** Schema of the plugin's config section `plugins.<name>`; unknown keys must be rejected (use strictObject). */
  config?: ZodType<C>;
  /** Set-up timeout override in ms (default: config `pluginSetupTimeoutMs`). */
  setupTimeoutMs?: number;
  /** One line for `ota-agent plugins`. */
  description?: string;
}

/** What the host hands each plugin's setup. */
export interface PluginContext<C = unknown> {
  /** Child logger bound with `{ plugin: name }`. */
  log: Logger;
  /** Store namespaced under `plugin/<name>/`. */
  store: StateStore;
  /** The validated config section (defaults applied). */
  config: C;
  /** Fired when the agent shuts down. */
  signal: AbortSignal;
  agent: AgentInfo;
}

/** One export per entry in `provides`: an instance for single capabilities, one or a list for multi ones. */
export type PluginExports = {
  [K in CapabilityName]?: CapabilityTypes[K] | readonly CapabilityTypes[K][];
};

export interface PluginSetupResult {
  exports: PluginExports;
  /** Called in reverse set-up order at shutdown, under a timeout. */
  close?: () => Promise<void>;
}

/**
 * `scope` is the plugin's own child container: register the plugin's classes there, resolve them, and return
 * the instances as exports. Capabilities of plugins set up earlier (and core services) resolve through it.
 */
export type PluginSetup<C> = (scope: DependencyContainer, ctx: PluginContext<C>) => Promise<PluginSetupResult>;

export interface PluginDefinition<C = unknown> {
  readonly kind: "ota-agent-plugin";
  readonly manifest: PluginManifest<C>;
  readonly setup: PluginSetup<C>;
}

/** Bundles a manifest and its setup. The default export of every plugin's index.ts. */
export function definePlugin<C>(manifest: PluginManifest<C>, setup: PluginSetup<C>): PluginDefinition<C> {
  return { kind: "ota-agent-plugin", manifest, setup };
}
