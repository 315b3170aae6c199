// The bin/ launchers: which entry they run (sources in a checkout, else a build), and ota-artifact end to end.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
let root: string;

/** A package root in a temp dir: the real launchers, stand-in entries that say which one ran. */
async function fakeRoot(files: Record<string, string>, opts: { git: boolean; tsx: boolean }): Promise<void> {
  await cp(join(repo, "bin"), join(root, "bin"), { recursive: true });
  await writeFile(join(root, "package.json"), '{ "type": "module" }\n');
  if (opts.git) await mkdir(join(root, ".git"));
  if (opts.tsx) await symlink(join(repo, "node_modules"), join(root, "node_modules"), "dir");
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

function launch(bin: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { OTA_AGENT_PREFER_DIST: _drop, ...base } = process.env;
  return spawnSync(process.execPath, [join(root, "bin", bin), ...argv], { encoding: "utf8", env: { ...base, ...env } });
}

// The source entry uses TypeScript syntax, so it only runs if tsx was registered.
const agentEntries = {
  "plugins/entry.ts": 'const ran: string = "source";\nconsole.log(ran);\n',
  "dist/bundle/ota-agent.mjs": 'console.log("bundle");\n',
  "dist/plugins/entry.js": 'console.log("tsc");\n',
};

beforeEach(async () => {
  root = (await mkdtemp(join(tmpdir(), "ota-launch-"))) + "/";
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("bin/ota-agent.js picks its entry", () => {
  it("stale-dist-in-checkout: a git checkout runs the sources even though dist/ exists", async () => {
    await fakeRoot(agentEntries, { git: true, tsx: true });
    expect(launch("ota-agent.js", [])).toMatchObject({ status: 0, stdout: "source\n" });
  });

  it("OTA_AGENT_PREFER_DIST=1 runs the bundle in a checkout", async () => {
    await fakeRoot(agentEntries, { git: true, tsx: true });
    expect(launch("ota-agent.js", [], { OTA_AGENT_PREFER_DIST: "1" })).toMatchObject({ status: 0, stdout: "bundle\n" });
  });

  it("an installed copy (no .git) runs the bundle, then the tsc build, then the sources", async () => {
    await fakeRoot(agentEntries, { git: false, tsx: true });
    expect(launch("ota-agent.js", []).stdout).toBe("bundle\n");
    await rm(join(root, "dist/bundle"), { recursive: true });
    expect(launch("ota-agent.js", []).stdout).toBe("tsc\n");
    await rm(join(root, "dist"), { recursive: true });
    expect(launch("ota-agent.js", []).stdout).toBe("source\n");
  });

  it("a checkout without tsx (production install) runs the build", async () => {
    await fakeRoot(agentEntries, { git: true, tsx: false });
    expect(launch("ota-agent.js", [])).toMatchObject({ status: 0, stdout: "bundle\n" });
  });
});

describe("bin/ota-artifact.js", () => {
  const artifactEntries = {
    "artifacts/cli/main.ts":
      'export async function main(argv: string[]): Promise<number> {\n  console.log("source " + argv.join(","));\n  return 3;\n}\n',
    "dist/artifacts/cli/main.js": 'export async function main(argv) {\n  console.log("tsc " + argv.join(","));\n  return 4;\n}\n',
    "dist/bundle/ota-artifact.mjs": 'console.log("bundle " + process.argv.slice(2).join(","));\nprocess.exitCode = 5;\n',
  };

  it("runs main() of the sources in a checkout with the arguments and its exit code", async () => {
    await fakeRoot(artifactEntries, { git: true, tsx: true });
    expect(launch("ota-artifact.js", ["read", "x"])).toMatchObject({ status: 3, stdout: "source read,x\n" });
  });

  it("lets the bundle run itself (main() is not called twice), else calls main() of the tsc build", async () => {
    await fakeRoot(artifactEntries, { git: false, tsx: true });
    expect(launch("ota-artifact.js", ["a"])).toMatchObject({ status: 5, stdout: "bundle a\n" });
    await rm(join(root, "dist/bundle"), { recursive: true });
    expect(launch("ota-artifact.js", ["a"])).toMatchObject({ status: 4, stdout: "tsc a\n" });
  });

  it("the real tool reads a mender-artifact sample as JSON", () => {
    const sample = join(repo, "test/fixtures/artifacts/mender-samples/artifacts/bootstrap-none-unsigned.mender");
    const result = spawnSync(process.execPath, [join(repo, "bin/ota-artifact.js"), "read", sample, "--json"], {
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: "mender", version: 3 });
  });

  it("the real tool exits 2 naming an unknown command", () => {
    const result = spawnSync(process.execPath, [join(repo, "bin/ota-artifact.js"), "frobnicate"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("frobnicate");
  });
});
