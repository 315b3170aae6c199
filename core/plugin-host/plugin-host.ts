// The plugin host: checks manifests, versions, config and requirements, sets plugins up in dependency order, binds their exports and closes them in reverse.
import satisfies from "semver/functions/satisfies.js";
import type { DependencyContainer } from "tsyringe";
import type { StateStore } from "../capabilities/state-store.js";
import type { Clock } from "../capabilities/platform.js";
import type { AgentConfig } from "../config/schema.js";
import type { AgentInfo } from "../agent-info.js";
import type { Logger } from "../logging/logger.js";
import { EVENTS } from "../logging/event-ids.js";
import { OtaError, asOtaError } from "../errors/index.js";
import { formatIssues } from "../config/format-issues.js";
import { CAPABILITIES, type CapabilityName } from "./capability-table.js";
import type { PluginContext, PluginDefinition, PluginSetupResult } from "./define-plugin.js";
import type { PluginCandidate, PluginSource } from "./plugin-candidate.js";
import { CORE_SERVICES, validatePluginDefinition } from "./manifest-schema.js";
import { orderPlugins } from "./plugin-order.js";
import { validateExports } from "./validate-exports.js";

/** What `ota-agent plugins` shows about one set-up plugin. */
export interface LoadedPlugin {
  name: string;
  version: string;
  description?: string;
  provides: CapabilityName[];
  source: PluginSource;
  origin: string;
  /** Wall time of its setup, ms. */
  setupMs: number;
}

export interface PluginHostDeps {
  /** The agent's root container: exports are bound here; each plugin gets a child of it. */
  root: DependencyContainer;
  config: AgentConfig;
  logger: Logger;
  /** The agent's store; each plugin gets the namespace `plugin/<name>`. */
  store: StateStore;
  agent: AgentInfo;
  clock: Clock;
}

interface Running {
  definition: PluginDefinition<unknown>;
  info: LoadedPlugin;
  scope: DependencyContainer;
  abort: AbortController;
  close?: () => Promise<void>;
}

/**
 * Lifecycle: `start(candidates)` runs every check before any setup (so a bad config changes nothing), then sets
 * plugins up one at a time, each under its timeout and in its own child container; a failure closes the ones
 * already set up and rethrows. `close()` aborts each plugin's signal and calls its close in reverse order, each
 * under the same timeout; errors there are logged, never thrown, so every plugin gets its turn.
 */
export class PluginHost {
  private readonly running: Running[] = [];
  /** Every instance bound so far, for the cross-plugin conflict checks of validateExports. */
  private readonly bound: { plugin: string; capability: CapabilityName; instance: unknown }[] = [];
  private closed = false;

  constructor(private readonly deps: PluginHostDeps) {}

  get loaded(): readonly LoadedPlugin[] {
    return this.running.map((entry) => entry.info);
  }

  async start(candidates: readonly PluginCandidate[]): Promise<void> {
    const checked = this.check(candidates);
    for (const { candidate, config } of orderPlugins(checked)) {
      try {
        await this.setUp(candidate, config);
      } catch (err) {
        await this.close();
        throw err;
      }
    }
  }

  /** Every load-time check, in the order an operator would fix them. Returns plugins with validated config. */
  private check(candidates: readonly PluginCandidate[]) {
    const { config, agent } = this.deps;
    const plugins = candidates.map((candidate) => ({
      candidate,
      definition: validatePluginDefinition(candidate.definition, candidate.origin),
    }));

    const byName = new Map<string, PluginCandidate>();
    for (const { candidate, definition } of plugins) {
      const name = definition.manifest.name;
      const first = byName.get(name);
      if (first) {
        throw new OtaError(
          "OTA_ERR_PLUGIN_CONFLICT",
          `plugin ${name} is loaded twice (${describe(first)} and ${describe(candidate)}): remove one from the config`,
          { details: { plugin: name } },
        );
      }
      byName.set(name, candidate);
    }

    for (const { definition } of plugins) {
      const { name, agent: range } = definition.manifest;
      if (!satisfies(agent.version, range, { includePrerelease: true })) {
        throw new OtaError(
          "OTA_ERR_PLUGIN_VERSION_MISMATCH",
          `plugin ${name} supports agent ${range}, this agent is ${agent.version}: upgrade the plugin or the agent`,
          { details: { plugin: name, range, agentVersion: agent.version } },
        );
      }
    }

    for (const section of Object.keys(config.plugins)) {
      if (!byName.has(section)) {
        const why = config.disable.includes(section) ? "it is listed in disable" : "no plugin of that name is loaded";
        throw new OtaError(
          "OTA_ERR_CONFIG_INVALID",
          `config plugins.${section}: ${why}; remove the section or load the plugin`,
          { details: { plugin: section } },
        );
      }
    }
    const withConfig = plugins.map(({ candidate, definition }) => ({
      candidate,
      manifest: definition.manifest,
      config: this.pluginConfig(definition),
    }));

    const providers = new Map<string, string[]>();
    for (const { manifest } of withConfig) {
      for (const capability of manifest.provides) providers.set(capability, [...(providers.get(capability) ?? []), manifest.name]);
    }
    for (const [capability, names] of providers) {
      if (CAPABILITIES[capability as CapabilityName].cardinality === "single" && names.length > 1) {
        throw new OtaError(
          "OTA_ERR_PLUGIN_CONFLICT",
          `plugins ${names.join(" and ")} both provide ${capability}, of which only one may be loaded: add all but one to disable`,
          { details: { capability, plugins: names } },
        );
      }
    }

    for (const { manifest } of withConfig) {
      for (const need of manifest.requires ?? []) {
        const satisfied = need.startsWith("plugin:")
          ? byName.has(need.slice("plugin:".length))
          : (CORE_SERVICES as readonly string[]).includes(need) ||
            (providers.get(need) ?? []).some((provider) => provider !== manifest.name);
        if (!satisfied) {
          const what = need.startsWith("plugin:") ? `the plugin ${need.slice(7)}` : `a ${need} provider`;
          throw new OtaError(
            "OTA_ERR_PLUGIN_REQUIREMENT_MISSING",
            `plugin ${manifest.name} requires ${what}, and none is loaded: load one or disable ${manifest.name}`,
            { details: { plugin: manifest.name, requirement: need } },
          );
        }
      }
    }
    return withConfig;
  }

  /** The plugin's section of `plugins.<name>`, validated and defaulted by its schema. */
  private pluginConfig(definition: PluginDefinition<unknown>): unknown {
    const { name, config: schema } = definition.manifest;
    const section = this.deps.config.plugins[name];
    if (!schema) {
      const empty = section === undefined || (isPlainObject(section) && Object.keys(section).length === 0);
      if (!empty) {
        throw new OtaError("OTA_ERR_PLUGIN_CONFIG_INVALID", `config plugins.${name}: plugin ${name} takes no settings`, {
          details: { plugin: name },
        });
      }
      return {};
    }
    const result = schema.safeParse(section ?? {});
    if (!result.success) {
      const lines = formatIssues(result.error.issues, ["plugins", name]);
      throw new OtaError("OTA_ERR_PLUGIN_CONFIG_INVALID", `config ${lines.join("; ")}`, {
        details: { plugin: name, issues: lines },
      });
    }
    return result.data;
  }

  private async setUp(candidate: PluginCandidate, config: unknown): Promise<void> {
    const { root, logger, store, agent, clock } = this.deps;
    const definition = candidate.definition;
    const { manifest } = definition;
    const name = manifest.name;
    const scope = root.createChildContainer();
    const abort = new AbortController();
    const log = logger.child({ plugin: name });
    const ctx: PluginContext<unknown> = {
      log,
      store: store.namespace(`plugin/${name}`),
      config,
      signal: abort.signal,
      agent,
    };
    const timeoutMs = manifest.setupTimeoutMs ?? this.deps.config.pluginSetupTimeoutMs;
    const started = clock.monotonic();
    let result: PluginSetupResult;
    try {
      result = await withTimeout(
        Promise.resolve().then(() => definition.setup(scope, ctx)),
        timeoutMs,
        () =>
          new OtaError(
            "OTA_ERR_PLUGIN_SETUP_TIMEOUT",
            `plugin ${name}: setup did not finish within ${timeoutMs} ms`,
            { details: { plugin: name, timeoutMs } },
          ),
      );
    } catch (err) {
      abort.abort(new Error(`plugin ${name}: setup failed`));
      if (err instanceof OtaError && err.code === "OTA_ERR_PLUGIN_SETUP_TIMEOUT") throw err;
      // A setup that finds its config unusable (beyond its schema) keeps the config code: exit 5, not 6.
      if (err instanceof OtaError && (err.code === "OTA_ERR_PLUGIN_CONFIG_INVALID" || err.code === "OTA_ERR_CONFIG_INVALID")) {
        throw err.withContext(`plugin ${name}`);
      }
      const cause = asOtaError(err, "OTA_ERR_PLUGIN_SETUP_FAILED");
      throw new OtaError("OTA_ERR_PLUGIN_SETUP_FAILED", `plugin ${name}: setup failed: ${cause.message}`, {
        cause: err,
        details: { plugin: name, causeCode: cause.code, ...cause.details },
      });
    }
    const setupMs = Math.round((clock.monotonic() - started) * 10) / 10;
    const running: Running = {
      definition,
      scope,
      abort,
      close: result?.close,
      info: {
        name,
        version: manifest.version,
        description: manifest.description,
        provides: [...manifest.provides],
        source: candidate.source,
        origin: candidate.origin,
        setupMs,
      },
    };
    // Registered as running before the export checks, so a rejected plugin is still closed.
    this.running.push(running);
    const bindings = validateExports(name, manifest.provides, result?.exports, this.bound);
    for (const { capability, instance } of bindings) {
      root.register(CAPABILITIES[capability].token, { useValue: instance });
      this.bound.push({ plugin: name, capability, instance });
    }
    log.debug({ event: EVENTS.pluginLoaded, version: manifest.version, setupMs, source: candidate.source }, `plugin ${name} set up`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timeoutMs = this.deps.config.pluginSetupTimeoutMs;
    while (this.running.length > 0) {
      const entry = this.running.pop()!;
      const name = entry.info.name;
      const log = this.deps.logger.child({ plugin: name });
      entry.abort.abort(new Error("agent shutting down"));
      try {
        if (entry.close) {
          const limit = entry.definition.manifest.setupTimeoutMs ?? timeoutMs;
          await withTimeout(
            Promise.resolve().then(() => entry.close!()),
            limit,
            () => new Error(`close did not finish within ${limit} ms`),
          );
        }
        await entry.scope.dispose();
        log.debug({ event: EVENTS.pluginClosed }, `plugin ${name} closed`);
      } catch (err) {
        log.error({ event: EVENTS.pluginCloseFailed, err }, `plugin ${name}: close failed: ${(err as Error).message}`);
      }
    }
  }
}

function describe(candidate: PluginCandidate): string {
  return candidate.source === "builtin" ? "built-in" : candidate.origin;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Races `promise` against a timer; the timer never keeps the process alive. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
