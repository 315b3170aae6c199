// Chooses which plugins to load (built-ins by config, third-party ones from `load`) and imports them.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AgentConfig } from "../config/schema.js";
import { OtaError } from "../errors/index.js";
import type { BuiltinPluginRegistry } from "./builtin-registry.js";
import type { PluginCandidate } from "./plugin-candidate.js";
import { validatePluginDefinition } from "./manifest-schema.js";

export interface SelectPluginsOptions {
  builtinPlugins: BuiltinPluginRegistry;
  config: AgentConfig;
  /** Host directory of the config file: relative `load` paths and npm names resolve from here. */
  configDir: string;
}

/**
 * Built-ins (alphabetical) load when `defaultEnabled` and not disabled, or when the config has a
 * `plugins.<name>` section and does not disable them; then every `load` entry, in config order.
 * This touches the host's module files, not the device: code loading is not device I/O, so it does not go through
 * the Platform. Throws OTA_ERR_CONFIG_INVALID / OTA_ERR_PLUGIN_NOT_FOUND / OTA_ERR_PLUGIN_MANIFEST_INVALID.
 */
export async function selectPlugins(options: SelectPluginsOptions): Promise<PluginCandidate[]> {
  const { builtinPlugins, config, configDir } = options;
  config.disable.forEach((name, i) => {
    if (!Object.hasOwn(builtinPlugins, name)) {
      throw new OtaError(
        "OTA_ERR_CONFIG_INVALID",
        `config disable[${i}]: there is no built-in plugin named ${name} (built-ins: ${Object.keys(builtinPlugins).sort().join(", ") || "none"})`,
        { details: { plugin: name } },
      );
    }
  });

  const candidates: PluginCandidate[] = [];
  for (const name of Object.keys(builtinPlugins).sort()) {
    const entry = builtinPlugins[name]!;
    if (config.disable.includes(name)) continue;
    if (!entry.defaultEnabled && !Object.hasOwn(config.plugins, name)) continue;
    let loaded: unknown;
    try {
      loaded = await entry.load();
    } catch (err) {
      throw new OtaError("OTA_ERR_PLUGIN_NOT_FOUND", `built-in plugin ${name}: import failed: ${(err as Error).message}`, {
        cause: err,
        details: { plugin: name },
      });
    }
    const definition = validatePluginDefinition(loaded, `built-in ${name}`);
    if (definition.manifest.name !== name) {
      throw new OtaError(
        "OTA_ERR_PLUGIN_MANIFEST_INVALID",
        `built-in plugin ${name}: its manifest is named ${definition.manifest.name}; the registry key must match`,
        { details: { plugin: name } },
      );
    }
    candidates.push({ definition, source: "builtin", origin: name });
  }

  for (const [i, entry] of config.load.entries()) {
    candidates.push(await loadEntry(entry, configDir, `load[${i}]`));
  }
  return candidates;
}

/** A path when it looks like one (./x, ../x, /x, or a .js/.mjs/.cjs/.ts file name), else an npm package name. */
export function isPathEntry(entry: string): boolean {
  return entry.startsWith(".") || isAbsolute(entry) || /\.(m?js|cjs|m?ts)$/.test(entry);
}

async function loadEntry(entry: string, configDir: string, where: string): Promise<PluginCandidate> {
  const path = isPathEntry(entry);
  const target = path ? resolve(configDir, entry) : entry;
  let url: string;
  if (path) {
    if (!existsSync(target)) {
      throw new OtaError("OTA_ERR_PLUGIN_NOT_FOUND", `config ${where}: plugin file ${target} does not exist`, {
        details: { entry, path: target },
      });
    }
    url = pathToFileURL(target).href;
  } else {
    url = resolvePackage(entry, configDir) ?? entry;
  }
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === "ERR_UNKNOWN_FILE_EXTENSION"
        ? " (a .ts plugin loads only under tsx; build it to .js)"
        : code === "ERR_MODULE_NOT_FOUND"
          ? path
            ? ""
            : ` (install it next to the config or in the agent's node_modules)`
          : "";
    throw new OtaError("OTA_ERR_PLUGIN_NOT_FOUND", `config ${where}: cannot import plugin ${entry}: ${(err as Error).message}${hint}`, {
      cause: err,
      details: { entry, sysCode: code },
    });
  }
  const definition = validatePluginDefinition(module.default, entry);
  return { definition, source: path ? "path" : "npm", origin: path ? target : entry };
}

/**
 * Finds `<dir>/node_modules/<name>` walking up from the config dir and returns its ESM entry as a file URL;
 * undefined when not there (the caller then imports the bare name, which resolves from the agent's own modules).
 */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as {
        exports?: unknown;
        module?: string;
        main?: string;
      };
      const entry = exportEntry(pkg.exports) ?? pkg.module ?? pkg.main ?? "index.js";
      return pathToFileURL(join(pkgDir, entry)).href;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The "." entry of package.json `exports` for an ESM importer (import, node, default conditions). */
function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === "string") return exports;
  if (typeof exports !== "object" || exports === null) return undefined;
  const record = exports as Record<string, unknown>;
  const main = "." in record ? record["."] : record;
  if (typeof main === "string") return main;
  if (typeof main !== "object" || main === null) return undefined;
  for (const condition of ["import", "node", "default"]) {
    const value = exportEntry((main as Record<string, unknown>)[condition]);
    if (value) return value;
  }
  return undefined;
}
