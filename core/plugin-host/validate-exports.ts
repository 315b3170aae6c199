// Checks a plugin's exports against its `provides` and against what other plugins already bound.
import { CAPABILITIES, type CapabilityName } from "./capability-table.js";
import type { PluginExports } from "./define-plugin.js";
import { OtaError } from "../errors/index.js";

export interface Binding {
  capability: CapabilityName;
  instance: unknown;
}

/**
 * Exports must match `provides` exactly: one instance for a single capability, one or a list for a multi one (an
 * empty list is allowed: module-external, for one, provides one module per executable it finds, maybe none). Two update modules for one payloadType, or two CLI commands with one name, conflict.
 * Returns the bindings in declaration order. Throws OTA_ERR_PLUGIN_EXPORT_INVALID / OTA_ERR_PLUGIN_CONFLICT.
 */
export function validateExports(
  plugin: string,
  provides: readonly CapabilityName[],
  exports: PluginExports | undefined,
  bound: readonly { plugin: string; capability: CapabilityName; instance: unknown }[],
): Binding[] {
  const invalid = (message: string): OtaError =>
    new OtaError("OTA_ERR_PLUGIN_EXPORT_INVALID", `plugin ${plugin}: ${message}`, { details: { plugin } });
  if (typeof exports !== "object" || exports === null) throw invalid("setup returned no exports object");
  for (const key of Object.keys(exports)) {
    if (!(provides as readonly string[]).includes(key)) {
      throw invalid(`exports ${key}, which its manifest does not list in provides`);
    }
  }
  const bindings: Binding[] = [];
  for (const capability of provides) {
    const value = (exports as Record<string, unknown>)[capability];
    if (value === undefined || value === null) {
      throw invalid(`declares ${capability} in provides but did not export it`);
    }
    const list = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && CAPABILITIES[capability].cardinality === "single") {
      throw invalid(`exports a list for ${capability}, which takes exactly one implementation`);
    }
    for (const instance of list) {
      if ((typeof instance !== "object" && typeof instance !== "function") || instance === null) {
        throw invalid(`exports a ${typeof instance} for ${capability}, not an implementation object`);
      }
      checkShape(plugin, capability, instance as Record<string, unknown>, invalid);
      checkConflict(plugin, capability, instance as Record<string, unknown>, [...bound, ...bindings.map((b) => ({ plugin, ...b }))]);
      bindings.push({ capability, instance });
    }
  }
  return bindings;
}

function checkShape(
  _plugin: string,
  capability: CapabilityName,
  instance: Record<string, unknown>,
  invalid: (message: string) => OtaError,
): void {
  if (capability === "update-module" && (typeof instance.payloadType !== "string" || instance.payloadType === "")) {
    throw invalid("exports an update-module without a payloadType");
  }
  if (capability === "cli-command" && (typeof instance.name !== "string" || typeof instance.run !== "function")) {
    throw invalid("exports a cli-command without a name or a run function");
  }
}

function checkConflict(
  plugin: string,
  capability: CapabilityName,
  instance: Record<string, unknown>,
  bound: readonly { plugin: string; capability: CapabilityName; instance: unknown }[],
): void {
  const key = capability === "update-module" ? "payloadType" : capability === "cli-command" ? "name" : undefined;
  if (!key) return;
  const clash = bound.find(
    (other) => other.capability === capability && (other.instance as Record<string, unknown>)[key] === instance[key],
  );
  if (clash) {
    const what = capability === "update-module" ? `update module for payload type ${String(instance[key])}` : `command ${String(instance[key])}`;
    throw new OtaError(
      "OTA_ERR_PLUGIN_CONFLICT",
      `plugins ${clash.plugin} and ${plugin} both provide the ${what}: disable one of them`,
      { details: { capability, plugins: [clash.plugin, plugin], [key]: instance[key] } },
    );
  }
}
