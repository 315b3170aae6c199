// The one-file device build: bundles without decorator metadata or node_modules and still wires every plugin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
let out: string;

beforeAll(async () => {
  // Outside the tree, so neither the repository's node_modules nor dist/ can help the bundle.
  out = await mkdtemp(join(tmpdir(), "ota-bundle-"));
  const result = spawnSync(process.execPath, [join(root, "scripts/bundle.mjs"), "--outdir", out], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bundle failed: ${result.stderr}${result.stdout}`);
  await writeFile(join(out, "config.json"), JSON.stringify({ sysroot: join(out, "root") }));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function run(argv: string[]) {
  return spawnSync(process.execPath, [join(out, "ota-agent.mjs"), ...argv], {
    cwd: out,
    encoding: "utf8",
    env: { PATH: process.env.PATH, OTA_AGENT_CONFIG: join(out, "config.json") },
  });
}

describe("dist/bundle/ota-agent.mjs", () => {
  it("prints its version", () => {
    expect(run(["--version"])).toMatchObject({ status: 0, stdout: "ota-agent 0.1.0\n" });
  });

  it("sets up the same built-in plugins as the sources do (DI without decorator metadata)", () => {
    const bundled = run(["plugins", "--json"]);
    expect(bundled.stderr).toBe("");
    expect(bundled.status).toBe(0);
    const fromSources = spawnSync(process.execPath, [join(root, "bin/ota-agent.js"), "plugins", "--json"], {
      encoding: "utf8",
      env: { ...process.env, OTA_AGENT_CONFIG: join(out, "config.json") },
    });
    expect(fromSources.status).toBe(0);
    const names = (text: string) => (JSON.parse(text) as { plugins: { name: string }[] }).plugins.map((p) => p.name);
    expect(names(bundled.stdout)).toEqual(names(fromSources.stdout));
  });

  it("loads network, TLS and compression built-ins only when a command needs them (not for --version)", () => {
    const report = "data:text/javascript,process.on('exit',()=>process.stderr.write(JSON.stringify(process.moduleLoadList)))";
    const r = spawnSync(process.execPath, ["--import", report, join(out, "ota-agent.mjs"), "--version"], { cwd: out, encoding: "utf8" });
    expect(r.status).toBe(0);
    const loaded = (JSON.parse(r.stderr) as string[]).map((m) => m.replace(/^NativeModule /, ""));
    expect(loaded.filter((m) => ["http", "https", "tls", "zlib", "dns", "vm", "worker_threads"].includes(m))).toEqual([]);
  });

  it("is pure ASCII, so V8 keeps its source as a one-byte string (one non-ASCII character doubles that memory)", async () => {
    for (const name of ["ota-agent.mjs", "ota-artifact.mjs"]) {
      const bytes = await readFile(join(out, name));
      const offending = bytes.findIndex((b) => b > 0x7f);
      expect(offending === -1 ? "" : `${name}: ${bytes.subarray(Math.max(0, offending - 60), offending + 20).toString()}`).toBe("");
    }
  });
});
