// The plugin host through the composition root: order, scopes, context, exports, close order and every load check.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createAgent, type Agent } from "../../../core/agent.js";
import { definePlugin, type PluginDefinition, type PluginManifest, type PluginSetup } from "../../../core/plugin-host/define-plugin.js";
import type { BuiltinPluginRegistry } from "../../../core/plugin-host/builtin-registry.js";
import type { AgentConfigInput } from "../../../core/config/schema.js";
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import type { InventoryProvider } from "../../../core/capabilities/inventory-provider.js";
import type { UpdateModule } from "../../../core/capabilities/update-module.js";
import { TOKENS } from "../../../core/di/tokens.js";
import { resolve, resolveAll } from "../../../core/di/resolve.js";
import { OtaError } from "../../../core/errors/index.js";
import { createLogSink } from "../../helpers/log-sink.js";

let sysroot: string;
let agent: Agent | undefined;

beforeEach(async () => {
  sysroot = await mkdtemp(join(tmpdir(), "ota-host-"));
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await rm(sysroot, { recursive: true, force: true });
});

type Spec = Partial<PluginManifest<any>> & { setup?: PluginSetup<any> };

/** A plugin whose exports default to one dummy object per provided capability. */
function plugin(name: string, spec: Spec = {}): PluginDefinition<any> {
  const { setup, ...manifest } = spec;
  const provides = manifest.provides ?? [];
  return definePlugin(
    { name, version: "1.0.0", agent: "^0.1.0", provides, ...manifest },
    setup ??
      (async () => ({
        exports: Object.fromEntries(provides.map((cap) => [cap, { name: `${name}:${cap}`, payloadType: `${name}-payload` }])),
      })),
  );
}

function builtins(...defs: PluginDefinition<any>[]): BuiltinPluginRegistry {
  return Object.fromEntries(defs.map((d) => [d.manifest.name, { load: async () => d, defaultEnabled: true }]));
}

async function start(defs: PluginDefinition<any>[], config: AgentConfigInput = {}, logger = createLogSink().logger): Promise<Agent> {
  agent = await createAgent({
    config: { sysroot, dataDir: "/data", ...config },
    builtinPlugins: builtins(...defs),
    logger,
  });
  return agent;
}

async function failure(defs: PluginDefinition<any>[], config: AgentConfigInput = {}): Promise<OtaError> {
  const err = await start(defs, config).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OtaError);
  return err as OtaError;
}

describe("plugin host: set-up", () => {
  it("sets providers up before the plugins that require them, and binds exports in the root container", async () => {
    const order: string[] = [];
    const boot = { name: "tryboot" } as unknown as Bootloader;
    const a = plugin("a-consumer", {
      requires: ["bootloader"],
      provides: ["inventory-provider"],
      setup: async (scope) => {
        order.push("a-consumer");
        // An earlier plugin's export resolves through this plugin's own scope.
        expect(resolve(scope, TOKENS.Bootloader)).toBe(boot);
        return { exports: { "inventory-provider": { name: "inv-a" } as unknown as InventoryProvider } };
      },
    });
    const z2 = plugin("z-boot", {
      provides: ["bootloader"],
      setup: async () => {
        order.push("z-boot");
        return { exports: { bootloader: boot } };
      },
    });
    const started = await start([a, z2]);
    expect(order).toEqual(["z-boot", "a-consumer"]);
    expect(started.plugins.map((p) => p.name)).toEqual(["z-boot", "a-consumer"]);
    expect(resolve(started.container, TOKENS.Bootloader)).toBe(boot);
    expect(resolveAll(started.container, TOKENS.InventoryProvider).map((p) => p.name)).toEqual(["inv-a"]);
    for (const info of started.plugins) {
      expect(info.source).toBe("builtin");
      expect(info.setupMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("multi capabilities keep load order across plugins and within a list", async () => {
    const one = plugin("inv-one", {
      provides: ["inventory-provider"],
      setup: async () => ({ exports: { "inventory-provider": [{ name: "1a" }, { name: "1b" }] as unknown as InventoryProvider[] } }),
    });
    const two = plugin("inv-two", { provides: ["inventory-provider"] });
    const started = await start([two, one]);
    expect(resolveAll(started.container, TOKENS.InventoryProvider).map((p) => p.name)).toEqual([
      "1a",
      "1b",
      "inv-two:inventory-provider",
    ]);
  });

  it("gives each plugin its own scope, a bound logger, a namespaced store, its config, agent info and a signal", async () => {
    const sink = createLogSink();
    const PRIVATE = Symbol("private");
    let signal: AbortSignal | undefined;
    const p = plugin("health-example", {
      config: z.strictObject({ deadlineMs: z.number().default(5000) }),
      setup: async (scope, ctx) => {
        scope.register(PRIVATE, { useValue: 42 });
        ctx.log.info({ event: "probe" }, "hello");
        await ctx.store.write("state", { schemaVersion: 1 });
        expect(ctx.config).toEqual({ deadlineMs: 5000 });
        expect(ctx.agent).toMatchObject({ version: "0.1.0", dataDir: "/data", deviceType: "pi5" });
        signal = ctx.signal;
        return { exports: {} };
      },
    });
    const started = await start([p], { deviceType: "pi5" }, sink.logger);
    expect(sink.events("probe")[0]).toMatchObject({ plugin: "health-example", msg: "hello" });
    expect(started.container.isRegistered(PRIVATE, true)).toBe(false);
    expect(await started.platform.fs.exists("/data/plugin/health-example/state.json")).toBe(true);
    expect(signal?.aborted).toBe(false);
    await started.close();
    expect(signal?.aborted).toBe(true);
  });

  it("closes in reverse set-up order, each plugin once, and the root container last", async () => {
    const closed: string[] = [];
    const make = (name: string, requires: string[] = []) =>
      plugin(name, { requires, setup: async () => ({ exports: {}, close: async () => void closed.push(name) }) });
    const started = await start([make("c-last", ["plugin:b-middle"]), make("b-middle", ["plugin:a-first"]), make("a-first")]);
    expect(started.plugins.map((p) => p.name)).toEqual(["a-first", "b-middle", "c-last"]);
    await started.close();
    await started.close();
    expect(closed).toEqual(["c-last", "b-middle", "a-first"]);
  });

  it("a plugin's close that throws or hangs does not stop the others from closing", async () => {
    const sink = createLogSink();
    const closed: string[] = [];
    const bad = plugin("a-bad", { setupTimeoutMs: 100, setup: async () => ({ exports: {}, close: async () => { throw new Error("stuck"); } }) });
    const hang = plugin("b-hang", { setupTimeoutMs: 100, setup: async () => ({ exports: {}, close: () => new Promise<void>(() => undefined) }) });
    const good = plugin("c-good", { setup: async () => ({ exports: {}, close: async () => void closed.push("c-good") }) });
    const started = await start([bad, hang, good], {}, sink.logger);
    await started.close();
    expect(closed).toEqual(["c-good"]);
    expect(sink.events("plugin-close-failed").map((e) => e.plugin)).toEqual(["b-hang", "a-bad"]);
  });
});

describe("plugin host: load checks", () => {
  it("required-capability-missing names the plugin and what to load", async () => {
    const err = await failure([plugin("health-x", { requires: ["bootloader"] })]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_REQUIREMENT_MISSING");
    expect(err.message).toContain("plugin health-x requires a bootloader provider");
  });

  it("required-plugin-missing (plugin:<name>)", async () => {
    const err = await failure([plugin("health-x", { requires: ["plugin:slots-gpt"] })]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_REQUIREMENT_MISSING");
    expect(err.message).toContain("the plugin slots-gpt");
  });

  it("core services always satisfy requires", async () => {
    await start([plugin("health-x", { requires: ["platform", "state-store", "logger", "config", "agent-info"] })]);
    expect(agent!.plugins).toHaveLength(1);
  });

  it("two-providers-of-single-capability is a conflict naming both", async () => {
    const err = await failure([plugin("slots-gpt", { provides: ["slot-resolver"] }), plugin("slots-map", { provides: ["slot-resolver"] })]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_CONFLICT");
    expect(err.message).toContain("slots-gpt and slots-map both provide slot-resolver");
  });

  it("two-update-modules-same-payload-type is a conflict", async () => {
    const module = (name: string) =>
      plugin(name, {
        provides: ["update-module"],
        setup: async () => ({ exports: { "update-module": { payloadType: "rootfs-image" } as unknown as UpdateModule } }),
      });
    const err = await failure([module("module-a"), module("module-b")]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_CONFLICT");
    expect(err.message).toContain("payload type rootfs-image");
  });

  it("two-cli-commands-same-name is a conflict", async () => {
    const cmd = (name: string) =>
      plugin(name, { provides: ["cli-command"], setup: async () => ({ exports: { "cli-command": { name: "hello", run: async () => 0 } as never } }) });
    expect((await failure([cmd("cmd-a"), cmd("cmd-b")])).code).toBe("OTA_ERR_PLUGIN_CONFLICT");
  });

  it("agent-version-outside-plugin-range is a version mismatch", async () => {
    const err = await failure([plugin("old-plugin", { agent: "^2.0.0" })]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_VERSION_MISMATCH");
    expect(err.message).toContain("plugin old-plugin supports agent ^2.0.0, this agent is 0.1.0");
  });

  it("plugin-config-wrong-type names plugins.<name>.<key>", async () => {
    const p = plugin("slots-gpt", { config: z.strictObject({ bootDisk: z.string().optional() }) });
    const err = await failure([p], { plugins: { "slots-gpt": { bootDisk: 7 } } });
    expect(err.code).toBe("OTA_ERR_PLUGIN_CONFIG_INVALID");
    expect(err.message).toMatch(/^config plugins\.slots-gpt\.bootDisk: expected string/);
  });

  it("plugin-config-unknown-key names plugins.<name>.<key>", async () => {
    const p = plugin("slots-gpt", { config: z.strictObject({ bootDisk: z.string().optional() }) });
    const err = await failure([p], { plugins: { "slots-gpt": { bootdisk: "/dev/sda" } } });
    expect(err.message).toContain("plugins.slots-gpt.bootdisk: unknown key");
  });

  it("settings for a plugin without a config schema are rejected; an empty section is fine", async () => {
    expect((await failure([plugin("plain")], { plugins: { plain: { x: 1 } } })).code).toBe("OTA_ERR_PLUGIN_CONFIG_INVALID");
    await start([plugin("plain")], { plugins: { plain: {} } });
  });

  it("config-section-for-plugin-not-loaded is OTA_ERR_CONFIG_INVALID", async () => {
    const err = await failure([plugin("slots-gpt")], { plugins: { "slots-gtp": {} } });
    expect(err.code).toBe("OTA_ERR_CONFIG_INVALID");
    expect(err.message).toContain("plugins.slots-gtp");
    const disabled = await failure([plugin("slots-gpt")], { disable: ["slots-gpt"], plugins: { "slots-gpt": {} } });
    expect(disabled.message).toContain("listed in disable");
  });

  it("export-not-declared and declared-not-exported are export errors", async () => {
    const extra = plugin("extra-x", { setup: async () => ({ exports: { bootloader: {} as Bootloader } }) });
    const extraErr = await failure([extra]);
    expect(extraErr.code).toBe("OTA_ERR_PLUGIN_EXPORT_INVALID");
    expect(extraErr.message).toContain("exports bootloader, which its manifest does not list");
    const missing = plugin("missing-x", { provides: ["bootloader"], setup: async () => ({ exports: {} }) });
    expect((await failure([missing])).message).toContain("declares bootloader in provides but did not export it");
    const list = plugin("list-x", { provides: ["bootloader"], setup: async () => ({ exports: { bootloader: [{}, {}] as never } }) });
    expect((await failure([list])).code).toBe("OTA_ERR_PLUGIN_EXPORT_INVALID");
  });

  it("setup-throws closes the plugins already set up and names the plugin", async () => {
    const closed: string[] = [];
    const first = plugin("a-first", { setup: async () => ({ exports: {}, close: async () => void closed.push("a-first") }) });
    const broken = plugin("b-broken", {
      setup: async () => {
        throw new Error("device /dev/mmcblk0 not found");
      },
    });
    const err = await failure([first, broken]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_SETUP_FAILED");
    expect(err.message).toBe("plugin b-broken: setup failed: device /dev/mmcblk0 not found");
    expect(closed).toEqual(["a-first"]);
  });

  it("setup-rejects-its-config keeps the config error code", async () => {
    const picky = plugin("picky-x", {
      setup: async () => {
        throw new OtaError("OTA_ERR_PLUGIN_CONFIG_INVALID", "config plugins.picky-x.key: file /etc/key.pem is missing");
      },
    });
    const err = await failure([picky]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_CONFIG_INVALID");
    expect(err.message).toBe("plugin picky-x: config plugins.picky-x.key: file /etc/key.pem is missing");
  });

  it("setup-hangs times out with the plugin's name and aborts its signal", async () => {
    let signal: AbortSignal | undefined;
    const hang = plugin("slow-x", {
      setupTimeoutMs: 50,
      setup: (_scope, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
    });
    const err = await failure([hang]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_SETUP_TIMEOUT");
    expect(err.message).toBe("plugin slow-x: setup did not finish within 50 ms");
    expect(signal?.aborted).toBe(true);
  });

  it("config pluginSetupTimeoutMs is the default timeout", async () => {
    const hang = plugin("slow-y", { setup: () => new Promise(() => undefined) });
    expect((await failure([hang], { pluginSetupTimeoutMs: 30 })).code).toBe("OTA_ERR_PLUGIN_SETUP_TIMEOUT");
  });

  it.each([
    ["name-not-kebab-case", { name: "SlotsGPT" }, "manifest.name: must be kebab-case"],
    ["version-not-semver", { version: "one" }, "manifest.version: must be a semver version"],
    ["agent-range-invalid", { agent: "newest" }, "manifest.agent: must be a semver range"],
    ["provides-core-capability", { provides: ["platform"] }, "manifest.provides[0]: must be one of"],
    ["provides-unknown-capability", { provides: ["teleporter"] }, "manifest.provides[0]: must be one of"],
    ["requires-unknown", { requires: ["teleporter"] }, "manifest.requires[0]: must be a capability name"],
  ])("manifest %s is OTA_ERR_PLUGIN_MANIFEST_INVALID", async (_case, manifest, message) => {
    const def = { kind: "ota-agent-plugin", manifest: { name: "x-y", version: "1.0.0", agent: "^0.1.0", provides: [], ...manifest }, setup: async () => ({ exports: {} }) };
    const registry = { "x-y": { load: async () => def as unknown as PluginDefinition, defaultEnabled: true } };
    const err = await createAgent({ config: { sysroot }, builtinPlugins: registry, logger: createLogSink().logger }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OTA_ERR_PLUGIN_MANIFEST_INVALID" });
    expect((err as Error).message).toContain(message);
  });

  it("plugins-require-each-other is a cycle error naming them", async () => {
    const a = plugin("a-x", { provides: ["bootloader"], requires: ["slot-resolver"] });
    const b = plugin("b-x", { provides: ["slot-resolver"], requires: ["bootloader"] });
    const err = await failure([a, b]);
    expect(err.code).toBe("OTA_ERR_PLUGIN_CYCLE");
    expect(err.message).toMatch(/a-x → b-x → a-x|b-x → a-x → b-x/);
  });
});

describe("plugin selection", () => {
  it("a built-in loads when default-enabled and not disabled, or when the config has its section", async () => {
    const registry: BuiltinPluginRegistry = {
      "on-by-default": { load: async () => plugin("on-by-default"), defaultEnabled: true },
      "off-by-default": { load: async () => plugin("off-by-default"), defaultEnabled: false },
      "opt-in": { load: async () => plugin("opt-in"), defaultEnabled: false },
    };
    const logger = createLogSink().logger;
    agent = await createAgent({ config: { sysroot }, builtinPlugins: registry, logger });
    expect(agent.plugins.map((p) => p.name)).toEqual(["on-by-default"]);
    await agent.close();
    agent = await createAgent({ config: { sysroot, disable: ["on-by-default"], plugins: { "opt-in": {} } }, builtinPlugins: registry, logger });
    expect(agent.plugins.map((p) => p.name)).toEqual(["opt-in"]);
  });

  it("disable-unknown-plugin is OTA_ERR_CONFIG_INVALID listing the built-ins", async () => {
    const err = await failure([plugin("slots-gpt")], { disable: ["slots-gtp"] });
    expect(err.code).toBe("OTA_ERR_CONFIG_INVALID");
    expect(err.message).toContain("disable[0]: there is no built-in plugin named slots-gtp (built-ins: slots-gpt)");
  });

  it("builtin-registry-key-differs-from-manifest-name is rejected", async () => {
    const registry = { "slots-gpt": { load: async () => plugin("slots-map"), defaultEnabled: true } };
    const err = await createAgent({ config: { sysroot }, builtinPlugins: registry, logger: createLogSink().logger }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OTA_ERR_PLUGIN_MANIFEST_INVALID" });
  });

  it("builtin-import-fails is OTA_ERR_PLUGIN_NOT_FOUND", async () => {
    const registry = { "slots-gpt": { load: () => Promise.reject(new Error("Cannot find module")), defaultEnabled: true } };
    const err = await createAgent({ config: { sysroot }, builtinPlugins: registry, logger: createLogSink().logger }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OTA_ERR_PLUGIN_NOT_FOUND" });
  });
});
