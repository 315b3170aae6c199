// Validates a loaded module as a PluginDefinition and its manifest with zod, naming the plugin and the bad field.
import * as z from "zod";
// semver's per-function modules: its index loads every class and function (~70 KiB of code) for these two checks.
import validVersion from "semver/functions/valid.js";
import validRange from "semver/ranges/valid.js";
import { CAPABILITIES, type CapabilityName } from "./capability-table.js";
import type { PluginDefinition } from "./define-plugin.js";
import { formatIssues } from "../config/format-issues.js";
import { OtaError } from "../errors/index.js";

/** What core itself provides; a plugin may require these but never provide them. */
export const CORE_SERVICES = ["platform", "state-store", "logger", "config", "agent-info"] as const;

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ALL_CAPABILITIES = Object.keys(CAPABILITIES) as CapabilityName[];
const PROVIDABLE = ALL_CAPABILITIES.filter((name) => !CAPABILITIES[name].core);

const requirement = z
  .string()
  .refine(
    (value) =>
      (ALL_CAPABILITIES as string[]).includes(value) ||
      (CORE_SERVICES as readonly string[]).includes(value) ||
      (value.startsWith("plugin:") && KEBAB.test(value.slice("plugin:".length))),
    { message: `must be a capability name (${ALL_CAPABILITIES.join(", ")}), a core service or "plugin:<name>"` },
  );

const isZodSchema = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { safeParse?: unknown }).safeParse === "function";

/** Loose on purpose: a manifest field added by a newer agent must not break an older one. */
const ManifestSchema = z.looseObject({
  name: z.string().regex(KEBAB, "must be kebab-case, <kind>-<tech>"),
  version: z.string().refine((v) => validVersion(v) !== null, "must be a semver version such as 1.0.0"),
  agent: z.string().refine((v) => validRange(v) !== null, "must be a semver range such as ^0.1.0"),
  provides: z.array(
    z.string().refine((v) => (PROVIDABLE as string[]).includes(v), {
      message: `must be one of ${PROVIDABLE.join(", ")} (core capabilities cannot be provided by plugins)`,
    }),
  ),
  requires: z.array(requirement).optional(),
  optional: z.array(requirement).optional(),
  config: z.custom((value) => isZodSchema(value), "must be a zod schema").optional(),
  setupTimeoutMs: z.number().int().positive().optional(),
  description: z.string().optional(),
});

/** Throws OTA_ERR_PLUGIN_MANIFEST_INVALID unless `value` is a definePlugin() result with a valid manifest. */
export function validatePluginDefinition(value: unknown, origin: string): PluginDefinition<unknown> {
  const candidate = value as Partial<PluginDefinition<unknown>> | null | undefined;
  if (candidate?.kind !== "ota-agent-plugin" || typeof candidate.setup !== "function") {
    throw new OtaError(
      "OTA_ERR_PLUGIN_MANIFEST_INVALID",
      `plugin ${origin}: the default export is not a plugin definition (export default definePlugin(manifest, setup))`,
      { details: { origin } },
    );
  }
  const result = ManifestSchema.safeParse(candidate.manifest);
  if (!result.success) {
    const name = typeof candidate.manifest?.name === "string" ? candidate.manifest.name : origin;
    const lines = formatIssues(result.error.issues, ["manifest"]);
    throw new OtaError("OTA_ERR_PLUGIN_MANIFEST_INVALID", `plugin ${name}: ${lines.join("; ")}`, {
      details: { plugin: name, origin, issues: lines },
    });
  }
  const provides = candidate.manifest!.provides;
  const duplicate = provides.find((name, index) => provides.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new OtaError("OTA_ERR_PLUGIN_MANIFEST_INVALID", `plugin ${candidate.manifest!.name}: provides lists ${duplicate} twice`, {
      details: { plugin: candidate.manifest!.name, origin },
    });
  }
  return candidate as PluginDefinition<unknown>;
}
