// The `ota-agent` command line: global options, exit codes, error output, and the plugins and config commands.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "../../../core/cli/run-cli.js";
import { EXIT } from "../../../core/cli/exit-codes.js";
import { parseCommandLine } from "../../../core/cli/global-options.js";
import { definePlugin } from "../../../core/plugin-host/define-plugin.js";
import type { BuiltinPluginRegistry } from "../../../core/plugin-host/builtin-registry.js";
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import { runCliCaptured } from "../../helpers/captured-cli.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ota-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const builtins: BuiltinPluginRegistry = {
  "bootloader-fake": {
    defaultEnabled: true,
    load: async () =>
      definePlugin(
        { name: "bootloader-fake", version: "2.0.0", agent: "^0.1.0", provides: ["bootloader"], description: "test double" },
        async () => ({ exports: { bootloader: { name: "fake" } as unknown as Bootloader } }),
      ),
  },
};

async function cli(argv: string[], env: Record<string, string> = {}, registry = builtins) {
  // An empty config file, so the machine's /etc/ota-agent/config.json never leaks into a test.
  const empty = join(dir, "empty.json");
  await writeFile(empty, "{}");
  return runCliCaptured(argv, { builtinPlugins: registry, env: { OTA_AGENT_CONFIG: empty, ...env } });
}

async function config(content: unknown): Promise<string> {
  const path = join(dir, "config.json");
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("runCli", () => {
  it("--version prints the agent version", async () => {
    expect(await cli(["--version"])).toEqual({ code: 0, out: "ota-agent 0.1.0\n", err: "" });
    expect(JSON.parse((await cli(["-V", "--json"])).out)).toEqual({ version: "0.1.0" });
  });

  it("no-command is a usage error (exit 2); --help lists commands, options and exit codes", async () => {
    const none = await cli([]);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.err).toBe("error OTA_ERR_USAGE: no command given (see ota-agent --help)\n");
    const help = await cli(["--help", "--config", await config({})]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: ota-agent \[global options\] <command>/);
    expect(help.out).toMatch(/\n {2}config {12}print the effective configuration/);
    expect(help.out).toMatch(/\n {2}plugins {11}list loaded plugins/);
    expect(help.out).toContain("--sysroot DIR");
    expect(help.out).toContain("5 config invalid, 6 plugin load error");
  });

  it("unknown-command is a usage error, in JSON with --json", async () => {
    const text = await cli(["frobnicate", "--config", await config({})]);
    expect(text).toMatchObject({ code: 2, out: "", err: "error OTA_ERR_USAGE: unknown command frobnicate (see ota-agent --help)\n" });
    const json = await cli(["frobnicate", "--json", "--config", await config({})]);
    expect(JSON.parse(json.err)).toEqual({
      error: { code: "OTA_ERR_USAGE", message: "unknown command frobnicate (see ota-agent --help)", details: { command: "frobnicate" } },
    });
  });

  it("option-without-value is a usage error", async () => {
    expect(await cli(["plugins", "--config"])).toMatchObject({ code: 2, err: "error OTA_ERR_USAGE: --config needs a value\n" });
  });

  it("command-with-unexpected-argument is a usage error; <command> --help prints its usage", async () => {
    expect((await cli(["plugins", "extra"])).code).toBe(2);
    const help = await cli(["plugins", "--help"]);
    expect(help).toMatchObject({ code: 0, err: "" });
    expect(help.out).toMatch(/^ota-agent plugins \[--json\]/);
  });

  it("plugins --json lists built-ins with version, source, provides and set-up time", async () => {
    const { code, out, err } = await cli(["plugins", "--json", "--sysroot", dir]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const parsed = JSON.parse(out) as { agentVersion: string; plugins: Record<string, unknown>[] };
    expect(parsed.agentVersion).toBe("0.1.0");
    expect(parsed.plugins).toEqual([
      {
        name: "bootloader-fake",
        version: "2.0.0",
        source: "builtin",
        origin: "bootloader-fake",
        provides: ["bootloader"],
        setupMs: expect.any(Number),
        description: "test double",
      },
    ]);
  });

  it("config prints the effective config with defaults, overrides applied and secrets redacted", async () => {
    const path = await config({ deviceType: "pi5", plugins: { "bootloader-fake": {} }, rebootCommand: ["x"] });
    const { code, out } = await cli(["config", "--json", "--config", path, "--sysroot", "/srv/sim"], { OTA_AGENT_LOG_LEVEL: "debug" });
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { path: string; fromFile: boolean; config: Record<string, unknown> };
    expect(parsed).toMatchObject({ path, fromFile: true });
    expect(parsed.config).toMatchObject({ deviceType: "pi5", sysroot: "/srv/sim", log: { level: "debug" }, dataDir: "/persistent/common/ota-agent" });
    const text = await cli(["config"]);
    expect(text.out).toMatch(/^# .*empty\.json\n\{\n  "dataDir"/);
    const missing = await cli(["config"], { OTA_AGENT_CONFIG: join(dir, "none.json") });
    expect(missing).toMatchObject({ code: 5, err: expect.stringContaining("error OTA_ERR_CONFIG_UNREADABLE: config ") });
  });

  it("config-invalid exits 5 with the JSON path in the message", async () => {
    const path = await config({ log: { level: "chatty" } });
    const { code, err } = await cli(["plugins", "--config", path]);
    expect(code).toBe(EXIT.CONFIG_INVALID);
    expect(err).toMatch(/^error OTA_ERR_CONFIG_INVALID: config .*config\.json: log\.level: /);
  });

  it("plugin-load-error exits 6", async () => {
    const path = await config({ load: ["./missing-plugin.js"] });
    const { code, err } = await cli(["plugins", "--config", path]);
    expect(code).toBe(EXIT.PLUGIN_LOAD);
    expect(err).toContain("error OTA_ERR_PLUGIN_NOT_FOUND: config load[0]: plugin file");
  });

  it("global options are accepted before or after the command", () => {
    expect(parseCommandLine(["--json", "plugins", "--sysroot=/x", "a", "--", "--json"])).toEqual({
      globals: { json: true, pretty: false, help: false, version: false, sysroot: "/x" },
      command: "plugins",
      args: ["a", "--", "--json"],
    });
  });
});

describe("log format", () => {
  // A plugin that logs one info line while it is set up, so `plugins` produces a log line on stderr.
  const chatty: BuiltinPluginRegistry = {
    chatty: {
      defaultEnabled: true,
      load: async () =>
        definePlugin({ name: "chatty", version: "1.0.0", agent: "^0.1.0", provides: [] }, async (_scope, ctx) => {
          ctx.log.info({ event: "chatty.ready" }, "chatty is ready");
          return { exports: {} };
        }),
    },
  };

  async function logOf(argv: string[], stderrIsTty: boolean): Promise<string> {
    const stderr = new PassThrough() as PassThrough & { isTTY?: boolean };
    if (stderrIsTty) stderr.isTTY = true;
    let err = "";
    stderr.on("data", (c: Buffer) => (err += c.toString()));
    const empty = join(dir, "empty.json");
    await writeFile(empty, "{}");
    const code = await runCli(argv, { builtinPlugins: chatty, stdout: new PassThrough(), stderr, env: { OTA_AGENT_CONFIG: empty } });
    expect(code, err).toBe(EXIT.OK);
    return err;
  }

  it("log-to-pipe is JSON lines; the same line on a terminal, or with --pretty, is human-readable", async () => {
    const piped = await logOf(["plugins", "--sysroot", dir], false);
    expect(JSON.parse(piped.trim().split("\n").find((l) => l.includes("chatty is ready"))!)).toMatchObject({
      event: "chatty.ready",
      plugin: "chatty",
    });
    for (const text of [await logOf(["plugins", "--sysroot", dir], true), await logOf(["plugins", "--pretty", "--sysroot", dir], false)]) {
      const line = text.split("\n").find((l) => l.includes("chatty is ready"));
      expect(line).toBeDefined();
      expect(line!.trimStart().startsWith("{")).toBe(false);
    }
  });
});

describe("bin/ota-agent.js", () => {
  it("runs from a fresh clone (no build) and prints plugins as JSON", async () => {
    await writeFile(join(dir, "empty.json"), "{}");
    const bin = fileURLToPath(new URL("../../../bin/ota-agent.js", import.meta.url));
    const result = spawnSync(process.execPath, [bin, "plugins", "--json", "--sysroot", dir], {
      encoding: "utf8",
      env: { ...process.env, OTA_AGENT_CONFIG: join(dir, "empty.json") },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ agentVersion: "0.1.0", plugins: expect.any(Array) });
  });
});
