// Config loading: where it comes from, defaults, overrides, and errors that name the bad key's JSON path.
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig, DEFAULT_CONFIG_PATH } from "../../../core/config/load-config.js";
import { readDeviceType } from "../../../core/config/device-type.js";
import { redactConfig } from "../../../core/config/redact-config.js";
import { isOtaError, type OtaError } from "../../../core/errors/index.js";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

function files(map: Record<string, string>) {
  const read: string[] = [];
  return {
    read,
    readText: async (path: string) => {
      read.push(path);
      return map[path];
    },
  };
}

describe("loadConfig", () => {
  it("missing-default-config-file means every default", async () => {
    const fs = files({});
    const loaded = await loadConfig({ readText: fs.readText, env: {} });
    expect(fs.read).toEqual([DEFAULT_CONFIG_PATH]);
    expect(loaded.fromFile).toBe(false);
    expect(loaded.config).toMatchObject({
      dataDir: "/persistent/common/ota-agent",
      sysroot: "/",
      log: { level: "info" },
      disable: [],
      load: [],
      pluginSetupTimeoutMs: 10_000,
      plugins: {},
    });
  });

  it("--config wins over OTA_AGENT_CONFIG, which wins over the default path", async () => {
    const fs = files({ "/a.json": '{"deviceType":"a"}', "/b.json": '{"deviceType":"b"}' });
    expect((await loadConfig({ readText: fs.readText, env: { OTA_AGENT_CONFIG: "/b.json" } })).config.deviceType).toBe("b");
    const both = await loadConfig({ path: "/a.json", readText: fs.readText, env: { OTA_AGENT_CONFIG: "/b.json" } });
    expect(both.config.deviceType).toBe("a");
    expect(both.dir).toBe("/");
  });

  it("missing-explicit-config-file is OTA_ERR_CONFIG_UNREADABLE", async () => {
    const err = await loadConfig({ path: "/nope.json", readText: files({}).readText }).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_CONFIG_UNREADABLE")).toBe(true);
    expect((err as Error).message).toContain("/nope.json");
  });

  it("config-not-json is OTA_ERR_CONFIG_UNREADABLE naming the file", async () => {
    const err = await loadConfig({ path: "/c.json", readText: files({ "/c.json": "{deviceType: x" }).readText }).catch(
      (e: unknown) => e,
    );
    expect(isOtaError(err, "OTA_ERR_CONFIG_UNREADABLE")).toBe(true);
    expect((err as Error).message).toMatch(/^config \/c\.json: not valid JSON/);
  });

  it("config-unknown-key is rejected with its JSON path", async () => {
    const fs = files({ "/c.json": '{"log":{"level":"info","colour":true},"dataDirectory":"/x"}' });
    const err = (await loadConfig({ path: "/c.json", readText: fs.readText }).catch((e: unknown) => e)) as OtaError;
    expect(err.code).toBe("OTA_ERR_CONFIG_INVALID");
    expect(err.message).toContain("config /c.json: ");
    expect(err.message).toContain("log.colour: unknown key");
    expect(err.message).toContain("dataDirectory: unknown key");
  });

  it("config-wrong-type names the key and the expected type", async () => {
    const fs = files({ "/c.json": '{"pluginSetupTimeoutMs":"soon","load":["ok", 3]}' });
    const err = (await loadConfig({ path: "/c.json", readText: fs.readText }).catch((e: unknown) => e)) as OtaError;
    expect(err.code).toBe("OTA_ERR_CONFIG_INVALID");
    expect(err.message).toMatch(/pluginSetupTimeoutMs: expected number/);
    expect(err.message).toMatch(/load\[1\]: expected string/);
  });

  it("--sysroot overrides the file; a relative sysroot in the file is relative to the file", async () => {
    const fs = files({ "/etc/o/c.json": '{"sysroot":"sim/root"}' });
    expect((await loadConfig({ path: "/etc/o/c.json", readText: fs.readText })).config.sysroot).toBe("/etc/o/sim/root");
    expect((await loadConfig({ path: "/etc/o/c.json", readText: fs.readText, sysroot: "/srv/x/" })).config.sysroot).toBe(
      "/srv/x",
    );
  });

  it("log level: --log-level > OTA_AGENT_LOG_LEVEL > file; a bad level is OTA_ERR_CONFIG_INVALID", async () => {
    const fs = files({ "/c.json": '{"log":{"level":"warn"}}' });
    const base = { path: "/c.json", readText: fs.readText };
    expect((await loadConfig(base)).config.log.level).toBe("warn");
    expect((await loadConfig({ ...base, env: { OTA_AGENT_LOG_LEVEL: "debug" } })).config.log.level).toBe("debug");
    expect((await loadConfig({ ...base, env: { OTA_AGENT_LOG_LEVEL: "debug" }, logLevel: "error" })).config.log.level).toBe(
      "error",
    );
    await expect(loadConfig({ ...base, env: { OTA_AGENT_LOG_LEVEL: "loud" } })).rejects.toMatchObject({
      code: "OTA_ERR_CONFIG_INVALID",
      message: expect.stringContaining("OTA_AGENT_LOG_LEVEL"),
    });
  });

  it("parseConfig accepts an already-parsed config unchanged (idempotent)", () => {
    const once = parseConfig({ deviceType: "pi5", plugins: { "slots-gpt": {} } });
    expect(parseConfig(once)).toEqual(once);
  });
});

describe("readDeviceType", () => {
  it("prefers config deviceType, else reads device_type= from <dataDir>/device_type under the sysroot", async () => {
    const root = await mkdtemp(join(tmpdir(), "ota-devtype-"));
    try {
      const platform = new NodePlatform({ sysroot: root });
      const config = parseConfig({ dataDir: "/data" });
      expect(await readDeviceType(platform, config)).toBeUndefined();
      await mkdir(join(root, "data"));
      await writeFile(join(root, "data/device_type"), "# written by the image\ndevice_type = raspberrypi5 \n");
      expect(await readDeviceType(platform, config)).toBe("raspberrypi5");
      expect(await readDeviceType(platform, parseConfig({ dataDir: "/data", deviceType: "pi4" }))).toBe("pi4");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("redactConfig", () => {
  it("hides secret-looking values at any depth and keeps the rest", () => {
    const shown = redactConfig({
      plugins: { "server-mender": { url: "https://x", tenantToken: "abc", auth: { password: "p" } } },
    }) as { plugins: Record<string, Record<string, unknown>> };
    expect(shown.plugins["server-mender"]).toEqual({ url: "https://x", tenantToken: "[redacted]", auth: { password: "[redacted]" } });
  });
});
