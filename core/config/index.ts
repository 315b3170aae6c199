// Public surface of configuration: the schema and its types, loading, device type and display helpers.
export { AgentConfigSchema, type AgentConfig, type AgentConfigInput } from "./schema.js";
export { loadConfig, parseConfig, DEFAULT_CONFIG_PATH, type LoadConfigOptions, type LoadedConfig } from "./load-config.js";
export { formatIssues, jsonPath } from "./format-issues.js";
export { readDeviceType } from "./device-type.js";
export { redactConfig } from "./redact-config.js";
