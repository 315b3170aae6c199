// The third-party example plugin, loaded by path from a config file: its capability resolves and its command runs.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PassThrough } from "node:stream";
import { createAgent } from "../../core/agent.js";
import { resolveAll } from "../../core/di/resolve.js";
import { TOKENS } from "../../core/di/tokens.js";
import { runCli } from "../../core/cli/run-cli.js";
import { createLogSink } from "../helpers/log-sink.js";

const pluginDir = fileURLToPath(new URL("../fixtures/example-plugin/", import.meta.url));
let dir: string;
let configPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ota-example-"));
  configPath = join(dir, "config.json");
  await writeFile(
    configPath,
    JSON.stringify({
      sysroot: "root",
      dataDir: "/data",
      deviceType: "raspberrypi5",
      // Relative to the config file's directory, as an operator would write it.
      load: [relative(dir, join(pluginDir, "index.ts"))],
      plugins: { "example-site": { site: "hall-7" } },
    }),
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe("example third-party plugin", () => {
  it("loads by path from config and its inventory provider resolves through the root container", async () => {
    const config = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    const agent = await createAgent({ config: { ...config, sysroot: join(dir, "root") }, configPath, builtinPlugins: {}, logger: createLogSink().logger });
    try {
      expect(agent.plugins).toEqual([
        expect.objectContaining({
          name: "example-site",
          version: "1.2.0",
          source: "path",
          origin: join(pluginDir, "index.ts"),
          provides: ["inventory-provider", "cli-command"],
        }),
      ]);
      const providers = resolveAll(agent.container, TOKENS.InventoryProvider);
      expect(providers.map((p) => p.name)).toEqual(["example-site"]);
      expect(await providers[0]!.collect()).toEqual({ site: "hall-7" });
    } finally {
      await agent.close();
    }
  });

  it("runs its `hello` command through runCli, keeping state in its store namespace", async () => {
    const out = capture();
    const err = capture();
    const run = (argv: string[]) =>
      runCli(["--config", configPath, "--log-level", "silent", ...argv], { builtinPlugins: {}, stdout: out.stream, stderr: err.stream, env: {} });
    expect(await run(["hello", "operator"])).toBe(0);
    expect(out.text()).toBe("hello, operator, from raspberrypi5 at hall-7\n");
    expect(await run(["hello", "--json"])).toBe(0);
    expect(JSON.parse(out.text().split("\n")[1]!)).toEqual({ message: "hello, world, from raspberrypi5 at hall-7", count: 2 });
    expect(JSON.parse(await readFile(join(dir, "root/data/plugin/example-site/greetings.json"), "utf8"))).toEqual({
      schemaVersion: 1,
      count: 2,
    });
    expect(err.text()).toBe("");
  });

  it("lists the plugin and its command in `plugins` and `--help`", async () => {
    const out = capture();
    const code = await runCli(["--config", configPath, "plugins"], { builtinPlugins: {}, stdout: out.stream, stderr: capture().stream, env: {} });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^PLUGIN\s+VERSION\s+SOURCE\s+SETUP\s+PROVIDES\nexample-site\s+1\.2\.0\s+path \S+index\.ts\s+[\d.]+ ms\s+inventory-provider, cli-command\n$/);
    const help = capture();
    expect(await runCli(["--config", configPath, "--help"], { builtinPlugins: {}, stdout: help.stream, stderr: capture().stream, env: {} })).toBe(0);
    expect(help.text()).toMatch(/Commands from plugins:\n\s+hello\s+say hello/);
  });

  it("example-plugin-config-typo fails with exit 5 naming plugins.example-site.<key>", async () => {
    const config = JSON.parse(await readFile(configPath, "utf8")) as { plugins: Record<string, unknown> };
    config.plugins["example-site"] = { sitename: "x" };
    await writeFile(configPath, JSON.stringify(config));
    const err = capture();
    const code = await runCli(["--config", configPath, "hello"], { builtinPlugins: {}, stdout: capture().stream, stderr: err.stream, env: {} });
    expect(code).toBe(5);
    expect(err.text()).toBe("error OTA_ERR_PLUGIN_CONFIG_INVALID: config plugins.example-site.sitename: unknown key\n");
  });
});
