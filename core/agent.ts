// The composition root: builds the root container, registers core services, then lets the plugin host add plugins.
import "reflect-metadata";
import { dirname } from "node:path";
import { container as globalContainer, type DependencyContainer } from "tsyringe";
import type { Platform } from "./capabilities/platform.js";
import type { StateStore } from "./capabilities/state-store.js";
import type { AgentInfo } from "./agent-info.js";
import type { Logger } from "./logging/logger.js";
import { createLogger } from "./logging/create-logger.js";
import { EVENTS } from "./logging/event-ids.js";
import { parseConfig } from "./config/load-config.js";
import { readDeviceType } from "./config/device-type.js";
import type { AgentConfig, AgentConfigInput } from "./config/schema.js";
import { NodePlatform } from "./platform/node-platform.js";
import { FileStateStore } from "./store/file-state-store.js";
import { PluginHost, type LoadedPlugin } from "./plugin-host/plugin-host.js";
import { selectPlugins } from "./plugin-host/plugin-loader.js";
import { AGENT_VERSION } from "./plugin-host/agent-version.js";
import type { BuiltinPluginRegistry } from "./plugin-host/builtin-registry.js";
import { TOKENS, asInjectionToken } from "./di/tokens.js";
import { registerInstallServices } from "./install/register-install-services.js";
import { DeploymentRunner } from "./state-machine/deployment-runner.js";

export interface CreateAgentOptions {
  /** A parsed config, or the input form (defaults are applied either way). */
  config: AgentConfig | AgentConfigInput;
  /** Host path of the config file; relative `load` entries resolve from its directory (default: the cwd). */
  configPath?: string;
  /** Default: a NodePlatform on `config.sysroot` with `config.rebootCommand`. */
  platform?: Platform;
  /** Default: pino on stdout at `config.log.level`, pretty when `log.pretty` or stdout is a terminal. */
  logger?: Logger;
  /** The built-in plugin set (plugins/builtin.ts), handed in by the entry point. */
  builtinPlugins: BuiltinPluginRegistry;
  /** Default: `<dataDir>` store over the platform. */
  store?: StateStore;
}

export interface Agent {
  /** The root container (a child of tsyringe's global one, which nothing registers into). */
  readonly container: DependencyContainer;
  readonly plugins: readonly LoadedPlugin[];
  readonly info: AgentInfo;
  readonly config: AgentConfig;
  readonly platform: Platform;
  readonly logger: Logger;
  /** Closes plugins in reverse set-up order, then disposes the root container. Idempotent. */
  close(): Promise<void>;
}

/** The core services every plugin and core module can resolve. */
export interface CoreServices {
  platform: Platform;
  store: StateStore;
  logger: Logger;
  config: AgentConfig;
  info: AgentInfo;
  plugins: readonly LoadedPlugin[];
}

/**
 * The one place core services are registered. Later core services (install pipeline, state machine, scheduler)
 * add their registration here, with a token in core/di/tokens.ts; plugin exports are bound by the host afterwards.
 */
export function registerCoreServices(container: DependencyContainer, services: CoreServices): void {
  container.register(TOKENS.Platform, { useValue: services.platform });
  container.register(TOKENS.StateStore, { useValue: services.store });
  container.register(TOKENS.Logger, { useValue: services.logger });
  container.register(TOKENS.Config, { useValue: services.config });
  container.register(TOKENS.AgentInfo, { useValue: services.info });
  container.register(TOKENS.PluginRegistry, { useValue: services.plugins });
  registerInstallServices(container);
  // Resolved on use (after plugins are set up), so it sees the loaded bootloader and health checks.
  container.register(asInjectionToken(TOKENS.DeploymentRunner), { useClass: DeploymentRunner });
}

/**
 * Builds an agent: root container, core services, then every selected plugin set up in dependency order.
 * Throws OtaErrors from config and plugin loading (CONFIG_*, PLUGIN_*); nothing stays open when it throws.
 */
export async function createAgent(options: CreateAgentOptions): Promise<Agent> {
  const config = parseConfig(options.config);
  const platform =
    options.platform ?? new NodePlatform({ sysroot: config.sysroot, rebootCommand: config.rebootCommand });
  const logger =
    options.logger ??
    (await createLogger({
      level: config.log.level,
      // JSON lines for journald; human-readable when someone watches a terminal.
      pretty: config.log.pretty ?? process.stdout.isTTY === true,
      base: { name: "ota-agent" },
    }));
  const store = options.store ?? new FileStateStore(platform, config.dataDir);
  const info: AgentInfo = {
    version: AGENT_VERSION,
    deviceType: await readDeviceType(platform, config),
    dataDir: config.dataDir,
    sysroot: platform.sysroot,
  };
  const root = globalContainer.createChildContainer();
  const host = new PluginHost({ root, config, logger, store, agent: info, clock: platform.clock });
  // The registry is a live view: `ota-agent plugins` reads it after the host has filled it.
  const plugins: LoadedPlugin[] = [];
  registerCoreServices(root, { platform, store, logger, config, info, plugins });

  logger.debug({ event: EVENTS.agentStart, version: AGENT_VERSION, sysroot: platform.sysroot }, "agent starting");
  try {
    const configDir = options.configPath ? dirname(options.configPath) : process.cwd();
    await host.start(await selectPlugins({ builtinPlugins: options.builtinPlugins, config, configDir }));
  } catch (err) {
    await root.dispose();
    throw err;
  }
  plugins.push(...host.loaded);

  let closing: Promise<void> | undefined;
  return {
    container: root,
    plugins,
    info,
    config,
    platform,
    logger,
    close() {
      closing ??= (async () => {
        await host.close();
        // Last: tsyringe disposes in no particular order, so plugins had to be closed first.
        await root.dispose();
        logger.debug({ event: EVENTS.agentStop }, "agent stopped");
      })();
      return closing;
    },
  };
}
