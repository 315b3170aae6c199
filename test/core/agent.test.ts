// The composition root: core services in a fresh root container, nothing in tsyringe's global one.
import { describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { container as globalContainer } from "tsyringe";
import { createAgent } from "../../core/agent.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import { builtinPlugins } from "../../plugins/builtin.js";
import { createLogSink } from "../helpers/log-sink.js";

describe("createAgent", () => {
  it("registers Platform, StateStore, Logger, Config, AgentInfo and the plugin list in its own root", async () => {
    const sysroot = await mkdtemp(join(tmpdir(), "ota-agent-"));
    const sink = createLogSink();
    const agent = await createAgent({ config: { sysroot, deviceType: "pi4" }, builtinPlugins: {}, logger: sink.logger });
    try {
      expect(resolve(agent.container, TOKENS.Platform).sysroot).toBe(sysroot);
      expect(resolve(agent.container, TOKENS.Config).deviceType).toBe("pi4");
      expect(resolve(agent.container, TOKENS.AgentInfo)).toEqual({ version: "0.1.0", deviceType: "pi4", dataDir: "/persistent/common/ota-agent", sysroot });
      expect(resolve(agent.container, TOKENS.Logger)).toBe(sink.logger);
      await resolve(agent.container, TOKENS.StateStore).write("probe", { schemaVersion: 1 });
      expect(await agent.platform.fs.exists("/persistent/common/ota-agent/probe.json")).toBe(true);
      expect(resolve(agent.container, TOKENS.PluginRegistry)).toEqual([]);
    } finally {
      await agent.close();
      await rm(sysroot, { recursive: true, force: true });
    }
  });

  it("two agents do not share registrations, and nothing lands in the global container", async () => {
    const sysroot = await mkdtemp(join(tmpdir(), "ota-agent-"));
    const logger = createLogSink().logger;
    try {
      const one = await createAgent({ config: { sysroot, deviceType: "one" }, builtinPlugins, logger });
      const two = await createAgent({ config: { sysroot, deviceType: "two" }, builtinPlugins, logger });
      expect(resolve(one.container, TOKENS.Config).deviceType).toBe("one");
      expect(resolve(two.container, TOKENS.Config).deviceType).toBe("two");
      for (const token of Object.values(TOKENS)) expect(globalContainer.isRegistered(token, true), String(token)).toBe(false);
      await one.close();
      await two.close();
    } finally {
      await rm(sysroot, { recursive: true, force: true });
    }
  });
});

describe("createTestAgent helper", () => {
  it("builds an agent with the given plugins in a temp sysroot and cleans up", async () => {
    const { createTestAgent } = await import("../helpers/test-agent.js");
    const { definePlugin } = await import("../../core/plugin-host/define-plugin.js");
    const { existsSync } = await import("node:fs");
    const t = await createTestAgent({
      plugins: [definePlugin({ name: "probe-x", version: "1.0.0", agent: "*", provides: [] }, async (_s, ctx) => {
        ctx.log.info({ event: "probe" }, "set up");
        return { exports: {} };
      })],
    });
    expect(t.agent.plugins.map((p) => p.name)).toEqual(["probe-x"]);
    expect(t.log.events("probe")).toHaveLength(1);
    expect(resolve(t.agent.container, TOKENS.Platform).sysroot).toBe(t.sysroot);
    await t.cleanup();
    expect(existsSync(t.sysroot)).toBe(false);
  });
});
