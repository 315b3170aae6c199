// Third-party plugins from config `load`: file paths relative to the config, npm packages, and what goes wrong.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selectPlugins, isPathEntry } from "../../../core/plugin-host/plugin-loader.js";
import { parseConfig } from "../../../core/config/load-config.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ota-loader-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const definitionJs = (name: string) => `export default {
  kind: "ota-agent-plugin",
  manifest: { name: ${JSON.stringify(name)}, version: "0.3.0", agent: ">=0.1.0", provides: [] },
  setup: async () => ({ exports: {} }),
};
`;

describe("selectPlugins: load entries", () => {
  it("loads a .mjs file relative to the config directory", async () => {
    await mkdir(join(dir, "plugins"));
    await writeFile(join(dir, "plugins/extra.mjs"), definitionJs("extra-file"));
    const config = parseConfig({ load: ["./plugins/extra.mjs"] });
    const [candidate] = await selectPlugins({ builtinPlugins: {}, config, configDir: dir });
    expect(candidate).toMatchObject({ source: "path", origin: join(dir, "plugins/extra.mjs") });
    expect(candidate!.definition.manifest.name).toBe("extra-file");
  });

  it("loads an npm package from node_modules next to (or above) the config", async () => {
    const pkg = join(dir, "node_modules/ota-plugin-fleet");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "ota-plugin-fleet", type: "module", exports: { ".": { import: "./lib/main.js" } } }),
    );
    await mkdir(join(pkg, "lib"));
    await writeFile(join(pkg, "lib/main.js"), definitionJs("fleet-extra"));
    await mkdir(join(dir, "etc/ota-agent"), { recursive: true });
    const config = parseConfig({ load: ["ota-plugin-fleet"] });
    const [candidate] = await selectPlugins({ builtinPlugins: {}, config, configDir: join(dir, "etc/ota-agent") });
    expect(candidate).toMatchObject({ source: "npm", origin: "ota-plugin-fleet" });
    expect(candidate!.definition.manifest.name).toBe("fleet-extra");
  });

  it("plugin-file-missing is OTA_ERR_PLUGIN_NOT_FOUND naming the resolved path", async () => {
    const config = parseConfig({ load: ["./nope.js"] });
    await expect(selectPlugins({ builtinPlugins: {}, config, configDir: dir })).rejects.toMatchObject({
      code: "OTA_ERR_PLUGIN_NOT_FOUND",
      message: expect.stringContaining(`load[0]: plugin file ${join(dir, "nope.js")} does not exist`),
    });
  });

  it("npm-package-missing is OTA_ERR_PLUGIN_NOT_FOUND", async () => {
    const config = parseConfig({ load: ["ota-plugin-that-does-not-exist"] });
    await expect(selectPlugins({ builtinPlugins: {}, config, configDir: dir })).rejects.toMatchObject({
      code: "OTA_ERR_PLUGIN_NOT_FOUND",
    });
  });

  it("module-without-plugin-default-export is OTA_ERR_PLUGIN_MANIFEST_INVALID", async () => {
    await writeFile(join(dir, "not-a-plugin.mjs"), "export const x = 1;\n");
    const config = parseConfig({ load: ["./not-a-plugin.mjs"] });
    await expect(selectPlugins({ builtinPlugins: {}, config, configDir: dir })).rejects.toMatchObject({
      code: "OTA_ERR_PLUGIN_MANIFEST_INVALID",
      message: expect.stringContaining("definePlugin"),
    });
  });

  it("tells paths from package names", () => {
    expect(isPathEntry("./a")).toBe(true);
    expect(isPathEntry("/opt/p/index.js")).toBe(true);
    expect(isPathEntry("plugin.ts")).toBe(true);
    expect(isPathEntry("@acme/ota-plugin")).toBe(false);
    expect(isPathEntry("ota-plugin-x")).toBe(false);
  });
});
