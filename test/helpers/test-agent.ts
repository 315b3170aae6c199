// Test helper: a whole agent in a temporary sysroot with chosen plugins, a collecting logger and one cleanup call.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Agent } from "../../core/agent.js";
import type { AgentConfigInput } from "../../core/config/schema.js";
import type { Platform } from "../../core/capabilities/platform.js";
import type { PluginDefinition } from "../../core/plugin-host/define-plugin.js";
import type { BuiltinPluginRegistry } from "../../core/plugin-host/builtin-registry.js";
import { createLogSink, type LogSink } from "./log-sink.js";

export interface TestAgentOptions {
  /** Plugins to load, as if built in and enabled by default. */
  plugins?: PluginDefinition<any>[];
  /** Config on top of `{ sysroot: <temp dir> }`. */
  config?: AgentConfigInput;
  /** A Platform to use instead of a NodePlatform on the temp sysroot (e.g. the simulated device's). */
  platform?: Platform;
}

export interface TestAgent {
  agent: Agent;
  log: LogSink;
  /** The temporary sysroot (a host path). */
  sysroot: string;
  /** Closes the agent and removes the sysroot. */
  cleanup(): Promise<void>;
}

/**
 * Usage: `const t = await createTestAgent({ plugins: [myPlugin], config: { plugins: { "my-plugin": {...} } } });
 * try { resolve(t.agent.container, TOKENS.X) ... } finally { await t.cleanup(); }`
 */
export async function createTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const sysroot = await mkdtemp(join(tmpdir(), "ota-test-agent-"));
  const log = createLogSink();
  const builtinPlugins: BuiltinPluginRegistry = Object.fromEntries(
    (options.plugins ?? []).map((definition) => [definition.manifest.name, { load: async () => definition, defaultEnabled: true }]),
  );
  try {
    const agent = await createAgent({
      config: { sysroot, ...options.config },
      builtinPlugins,
      logger: log.logger,
      platform: options.platform,
    });
    return {
      agent,
      log,
      sysroot,
      async cleanup() {
        await agent.close();
        await rm(sysroot, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(sysroot, { recursive: true, force: true });
    throw err;
  }
}
