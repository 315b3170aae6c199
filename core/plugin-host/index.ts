// Public surface of the plugin host for plugins (definePlugin and types) and for core (the host and its loader).
export {
  definePlugin,
  type PluginDefinition,
  type PluginManifest,
  type PluginContext,
  type PluginExports,
  type PluginSetup,
  type PluginSetupResult,
} from "./define-plugin.js";
export { CAPABILITIES, type CapabilityName, type CapabilityTypes, type CapabilitySpec } from "./capability-table.js";
export { AGENT_VERSION } from "./agent-version.js";
export type { BuiltinPluginEntry, BuiltinPluginRegistry } from "./builtin-registry.js";
export type { PluginCandidate, PluginSource } from "./plugin-candidate.js";
export { PluginHost, type LoadedPlugin, type PluginHostDeps } from "./plugin-host.js";
export { selectPlugins } from "./plugin-loader.js";
