// Finds, reads and validates the agent configuration, then applies the command-line and environment overrides.
import { dirname, resolve } from "node:path";
import { AgentConfigSchema, type AgentConfig } from "./schema.js";
import { formatIssues } from "./format-issues.js";
import { OtaError } from "../errors/index.js";

/** Host path of the config file when neither `--config` nor OTA_AGENT_CONFIG names one. */
export const DEFAULT_CONFIG_PATH = "/etc/ota-agent/config.json";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export interface LoadConfigOptions {
  /** `--config FILE` (host path). */
  path?: string;
  /** The process environment (OTA_AGENT_CONFIG, OTA_AGENT_LOG_LEVEL). */
  env?: Record<string, string | undefined>;
  /** `--sysroot DIR`: wins over the file's `sysroot`. */
  sysroot?: string;
  /** `--log-level L`: wins over OTA_AGENT_LOG_LEVEL and the file. */
  logLevel?: string;
  /** `--pretty`. */
  pretty?: boolean;
  /** Reads a HOST file as text, undefined when missing (the Platform's `fs.readText` with sysroot "/"). */
  readText: (hostPath: string) => Promise<string | undefined>;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** The host path of the file consulted (it may not exist: then every key has its default). */
  path: string;
  /** True when the file existed. */
  fromFile: boolean;
  /** Directory relative `load` entries are resolved against. */
  dir: string;
}

/**
 * Precedence: `--config` > OTA_AGENT_CONFIG > /etc/ota-agent/config.json. A missing default file means all defaults;
 * a missing file that was named explicitly is an error. Throws OTA_ERR_CONFIG_UNREADABLE / OTA_ERR_CONFIG_INVALID,
 * the latter naming each bad key's JSON path.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const env = options.env ?? {};
  const explicit = options.path ?? (env.OTA_AGENT_CONFIG || undefined);
  const path = resolve(explicit ?? DEFAULT_CONFIG_PATH);
  let text: string | undefined;
  try {
    text = await options.readText(path);
  } catch (err) {
    throw new OtaError("OTA_ERR_CONFIG_UNREADABLE", `config ${path}: ${(err as Error).message}`, {
      cause: err,
      details: { path },
    });
  }
  if (text === undefined && explicit !== undefined) {
    throw new OtaError("OTA_ERR_CONFIG_UNREADABLE", `config ${path}: no such file`, { details: { path } });
  }
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new OtaError("OTA_ERR_CONFIG_UNREADABLE", `config ${path}: not valid JSON: ${(err as Error).message}`, {
        cause: err,
        details: { path },
      });
    }
  }
  const config = parseConfig(raw, `config ${path}`);
  const dir = dirname(path);

  if (options.sysroot !== undefined) config.sysroot = resolve(options.sysroot);
  else if (config.sysroot !== "/") config.sysroot = resolve(dir, config.sysroot);
  const level = options.logLevel ?? (env.OTA_AGENT_LOG_LEVEL || undefined);
  if (level !== undefined) {
    if (!(LEVELS as readonly string[]).includes(level)) {
      const source = options.logLevel !== undefined ? "--log-level" : "OTA_AGENT_LOG_LEVEL";
      throw new OtaError("OTA_ERR_CONFIG_INVALID", `${source}: "${level}" is not one of ${LEVELS.join(", ")}`, {
        details: { source },
      });
    }
    config.log.level = level as AgentConfig["log"]["level"];
  }
  if (options.pretty) config.log.pretty = true;
  return { config, path, fromFile: text !== undefined, dir };
}

/** Validates a config object (tests and embedders build configs in code); `label` prefixes the error message. */
export function parseConfig(raw: unknown, label = "config"): AgentConfig {
  const result = AgentConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    throw new OtaError("OTA_ERR_CONFIG_INVALID", `${label}: ${lines.join("; ")}`, { details: { issues: lines } });
  }
  return result.data;
}
