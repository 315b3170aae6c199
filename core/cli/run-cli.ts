// The `ota-agent` command line: global options, core and plugin-contributed commands, errors and exit codes.
import type { Writable } from "node:stream";
import type { CliCommand, CliIo } from "../capabilities/cli-command.js";
import type { Platform } from "../capabilities/platform.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { Logger } from "../logging/logger.js";
import type { Agent } from "../agent.js";
import type { BuiltinPluginRegistry } from "../plugin-host/builtin-registry.js";
import { AGENT_VERSION } from "../plugin-host/agent-version.js";
import { OtaError } from "../errors/ota-error.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { parseCommandLine, type GlobalOptions } from "./global-options.js";
import { printError } from "./print-error.js";
import { coreCommands } from "./commands/index.js";
import type { CommandContext } from "./core-command.js";

export interface RunCliOptions {
  /** The built-in plugin set (plugins/builtin.ts); core never imports it itself. */
  builtinPlugins: BuiltinPluginRegistry;
  /** Default: a NodePlatform on the effective sysroot. */
  platform?: Platform;
  stdout?: Writable;
  stderr?: Writable;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Default: whether stdout is a terminal. */
  isTty?: boolean;
}

const GLOBAL_HELP = `Global options:
  --config FILE     configuration file (default /etc/ota-agent/config.json, or $OTA_AGENT_CONFIG)
  --sysroot DIR     root every device path under DIR (default: config "sysroot", "/")
  --json            machine-readable output (read commands) and errors
  --pretty          human-readable log lines
  --log-level L     trace|debug|info|warn|error|fatal|silent (also $OTA_AGENT_LOG_LEVEL)
  --help, -h        this help, or a command's with "ota-agent <command> --help"
  --version, -V     print the agent version

Exit codes: 0 ok, 1 failure, 2 usage, 3 nothing to do / not applicable, 4 locked,
            5 config invalid, 6 plugin load error
`;

/** Runs one invocation and returns its exit code; never throws and never calls process.exit. */
export async function runCli(argv: readonly string[], options: RunCliOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  let json = argv.includes("--json");
  let session: Session | undefined;
  try {
    const { globals, command, args } = parseCommandLine(argv);
    json = globals.json;
    if (globals.version) {
      stdout.write(json ? JSON.stringify({ version: AGENT_VERSION }) + "\n" : `ota-agent ${AGENT_VERSION}\n`);
      return EXIT.OK;
    }
    const io: CliIo = {
      stdout,
      stderr,
      json,
      isTty: options.isTty ?? (stdout as { isTTY?: boolean }).isTTY === true,
    };
    if (command === undefined) {
      if (!globals.help) {
        throw new OtaError("OTA_ERR_USAGE", "no command given (see ota-agent --help)");
      }
      session = new Session(io, globals, env, options, false);
      stdout.write(await generalHelp(session));
      return EXIT.OK;
    }
    const entry = coreCommands.find((c) => c.name === command);
    if (entry) {
      const cmd = await entry.load();
      if (globals.help) {
        stdout.write(cmd.usage + "\n");
        return EXIT.OK;
      }
      session = new Session(io, globals, env, options, cmd.logToStdout === true);
      if (!(cmd.lock ?? !cmd.readOnly)) return await cmd.run(args, session.context);
      // Commands that change deployments exclude each other and the daemon (OTA_ERR_LOCKED, exit code 4).
      const [{ AgentLock }, platform, { config }] = await Promise.all([import("../control/agent-lock.js"), session.context.platform(), session.context.config()]);
      const lock = await AgentLock.acquire(platform, config.dataDir, cmd.name);
      try {
        return await cmd.run(args, session.context);
      } finally {
        await lock.release();
      }
    }
    session = new Session(io, globals, env, options, false);
    const found = (await pluginCommands(await session.agent())).find((c) => c.name === command);
    if (!found) throw new OtaError("OTA_ERR_USAGE", `unknown command ${command} (see ota-agent --help)`, { details: { command } });
    if (globals.help) {
      stdout.write(found.usage + "\n");
      return EXIT.OK;
    }
    return await found.run(args, io);
  } catch (err) {
    printError(err, stderr, json);
    return exitCodeFor(err);
  } finally {
    await session?.close();
  }
}

async function pluginCommands(agent: Agent): Promise<CliCommand[]> {
  const [{ resolveAll }, { TOKENS }] = await Promise.all([import("../di/resolve.js"), import("../di/tokens.js")]);
  return resolveAll(agent.container, TOKENS.CliCommand);
}

async function generalHelp(session: Session): Promise<string> {
  const lines = ["Usage: ota-agent [global options] <command> [options]", "", "Commands:"];
  const width = 18;
  for (const c of [...coreCommands].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  }
  try {
    const extra = await pluginCommands(await session.agent());
    if (extra.length > 0) {
      lines.push("", "Commands from plugins:");
      for (const c of extra) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
    }
  } catch (err) {
    lines.push("", `(plugin commands unavailable: ${(err as Error).message})`);
  }
  return lines.join("\n") + "\n\n" + GLOBAL_HELP;
}

/** Builds config, logger, platform and agent on first use, so cheap commands stay cheap. */
class Session {
  readonly context: CommandContext;
  private loaded?: Promise<LoadedConfig>;
  private log?: Promise<Logger>;
  private plat?: Promise<Platform>;
  private built?: Promise<Agent>;

  constructor(
    private readonly io: CliIo,
    private readonly globals: GlobalOptions,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly options: RunCliOptions,
    private readonly logToStdout: boolean,
  ) {
    this.context = {
      io,
      globals,
      env,
      config: () => this.config(),
      logger: () => this.logger(),
      platform: () => this.platform(),
      agent: () => this.agent(),
    };
  }

  config(): Promise<LoadedConfig> {
    this.loaded ??= (async () => {
      const [{ loadConfig }, { NodePlatform }] = await Promise.all([
        import("../config/load-config.js"),
        import("../platform/node-platform.js"),
      ]);
      // The config file is a HOST path: read it through a Platform rooted at "/", whatever the sysroot.
      const host = new NodePlatform();
      return loadConfig({
        path: this.globals.config,
        env: this.env,
        sysroot: this.globals.sysroot,
        logLevel: this.globals.logLevel,
        pretty: this.globals.pretty,
        readText: (path) => host.fs.readText(path),
      });
    })();
    return this.loaded;
  }

  logger(): Promise<Logger> {
    this.log ??= (async () => {
      const [{ config }, { createLogger }] = await Promise.all([this.config(), import("../logging/create-logger.js")]);
      const destination = this.logToStdout ? this.io.stdout : this.io.stderr;
      const pretty = config.log.pretty ?? (destination as { isTTY?: boolean }).isTTY === true;
      return createLogger({ level: config.log.level, pretty, destination, base: { name: "ota-agent" } });
    })();
    return this.log;
  }

  platform(): Promise<Platform> {
    this.plat ??= (async () => {
      if (this.options.platform) return this.options.platform;
      const [{ config }, { NodePlatform }] = await Promise.all([this.config(), import("../platform/node-platform.js")]);
      return new NodePlatform({ sysroot: config.sysroot, rebootCommand: config.rebootCommand });
    })();
    return this.plat;
  }

  agent(): Promise<Agent> {
    this.built ??= (async () => {
      const [loaded, logger, platform, { createAgent }] = await Promise.all([
        this.config(),
        this.logger(),
        this.platform(),
        import("../agent.js"),
      ]);
      return createAgent({
        config: loaded.config,
        configPath: loaded.path,
        platform,
        logger,
        builtinPlugins: this.options.builtinPlugins,
      });
    })();
    return this.built;
  }

  async close(): Promise<void> {
    if (!this.built) return;
    try {
      const agent = await this.built;
      await agent.close();
    } catch {
      // createAgent failed: it already closed what it had opened, and its error was reported.
    }
  }
}

