// The rpi-image-gen layer: metadata an rpi-image-gen build accepts, and its hook installing the package into a rootfs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { AgentConfigSchema } from "../../core/config/schema.js";

const REPO = join(import.meta.dirname, "../..");
const LAYER_DIR = join(REPO, "packaging/rpi-image-gen/layer");
const LAYER = readFileSync(join(LAYER_DIR, "ota-agent.yaml"), "utf8");
let work: string;
let tarball: string;

/** The X-Env-* header as key → value (continuation lines start with "#  "). */
function metadata(text: string): Map<string, string> {
  const header = text.slice(text.indexOf("# METABEGIN"), text.indexOf("# METAEND"));
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of header.split("\n").slice(1)) {
    const m = /^# (X-Env-[\w-]+):\s?(.*)$/.exec(line);
    if (m) {
      last = m[1]!;
      fields.set(last, m[2]!.trim());
    } else if (/^# {2}\S/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.slice(3).trim()}`);
  }
  return fields;
}

/** rpi-image-gen's value rules for the kinds this layer uses. */
function valid(rule: string, value: string): boolean {
  if (rule === "string") return value !== "";
  if (rule === "string-or-empty") return true;
  if (rule === "bool") return ["true", "false", "1", "0", "yes", "no", "y", "n"].includes(value.toLowerCase());
  throw new Error(`rule ${rule} not used by this layer`);
}

function runHook(rootfs: string, env: Record<string, string>) {
  const doc = parse(LAYER.slice(LAYER.indexOf("---"))) as { mmdebstrap: { "customize-hooks": string[] } };
  const hook = doc.mmdebstrap["customize-hooks"][0]!;
  // exactly what mmdebstrap does with a customize hook string: sh -c with the rootfs as $1
  return spawnSync("sh", ["-c", hook, "sh", rootfs], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", IGconf_otaagent_hooks: join(LAYER_DIR, "ota-agent.d"), ...env },
  });
}

function rootfs(name: string): string {
  const root = join(work, name);
  for (const d of ["etc", "usr/lib", "usr/bin", "var/lib/dpkg", "var/cache/apt"]) mkdirSync(join(root, d), { recursive: true });
  symlinkSync("usr/lib", join(root, "lib"));
  writeFileSync(join(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
  writeFileSync(join(root, "var/cache/apt/pkgcache.bin"), "x");
  writeFileSync(join(root, "var/lib/dpkg/status"), "Package: systemd\nStatus: install ok installed\nVersion: 252.39-1~deb12u1\n");
  return root;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ota-layer-"));
  const r = spawnSync(
    process.execPath,
    [join(REPO, "scripts/package.mjs"), "--out", join(work, "pkg"), "--bundle-dir", join(work, "bundle"), "--rebuild-bundle"],
    { encoding: "utf8" },
  );
  expect(r.status).toBe(0);
  tarball = join(work, "pkg", readdirSync(join(work, "pkg")).find((n) => n.endsWith(".tar.gz"))!);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("layer metadata", () => {
  const meta = metadata(LAYER);

  it("names the layer and its variable prefix", () => {
    expect(meta.get("X-Env-Layer-Name")).toBe("ota-agent");
    expect(meta.get("X-Env-Layer-Version")).toMatch(/^\d+\.\d+\.\d+$/);
    expect(meta.get("X-Env-VarPrefix")).toBe("otaagent");
  });

  it("every variable has Desc, Required, Valid and Set, and its default passes its rule", () => {
    const vars = [...meta.keys()].filter((k) => /^X-Env-Var-[a-z_]+$/.test(k)).map((k) => k.slice("X-Env-Var-".length));
    expect(vars).toEqual(expect.arrayContaining(["package", "server_url", "device_type", "verify_key", "var_seed", "hooks"]));
    for (const v of vars) {
      for (const suffix of ["Desc", "Required", "Valid", "Set"]) expect(meta.has(`X-Env-Var-${v}-${suffix}`), `${v}-${suffix}`).toBe(true);
      const def = meta.get(`X-Env-Var-${v}`)!;
      if (meta.get(`X-Env-Var-${v}-Required`) === "n") expect(valid(meta.get(`X-Env-Var-${v}-Valid`)!, def), v).toBe(true);
    }
  });

  it("installs Node.js and runs the hook that exists in the layer's directory", () => {
    const doc = parse(LAYER.slice(LAYER.indexOf("---"))) as { mmdebstrap: { packages: string[]; "customize-hooks": string[] } };
    expect(doc.mmdebstrap.packages).toContain("nodejs");
    expect(doc.mmdebstrap["customize-hooks"][0]).toContain("${IGconf_otaagent_hooks}/customize-ota-agent");
    expect(meta.get("X-Env-Var-hooks")).toBe("${DIRECTORY}/ota-agent.d");
    expect(spawnSync("shellcheck", [join(LAYER_DIR, "ota-agent.d/customize-ota-agent")]).status).toBe(0);
  });
});

describe("layer hook", () => {
  it("installs the package with the configured server, device type and key into the rootfs", () => {
    const root = rootfs("image");
    const key = join(work, "signing.pem");
    writeFileSync(key, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n");
    const r = runHook(root, {
      IGconf_otaagent_package: tarball,
      IGconf_otaagent_server_url: "https://hosted.mender.io",
      IGconf_otaagent_device_type: "rpi5-ab",
      IGconf_otaagent_verify_key: key,
      IGconf_otaagent_slot_rules: "n",
      IGconf_otaagent_var_seed: "y",
      IGconf_otaagent_reset_machine_id: "y",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const config = AgentConfigSchema.parse(JSON.parse(readFileSync(join(root, "etc/ota-agent/config.json"), "utf8")));
    expect(config.deviceType).toBe("rpi5-ab");
    expect(config.plugins["server-mender"]).toEqual({ serverUrl: "https://hosted.mender.io" });
    expect(config.artifacts.verifyKeys).toEqual(["/etc/ota-agent/keys/signing.pem"]);
    expect(existsSync(join(root, "usr/lib/systemd/system-generators/ota-agent-generator"))).toBe(true);
    // image-rota already has rpi-ab-slot-mapper: our slot rules stay out unless asked for
    expect(existsSync(join(root, "usr/lib/udev/rules.d/99-ota-01-slot.rules"))).toBe(false);
    expect(existsSync(join(root, "usr/lib/ota-agent/var-seed/cache"))).toBe(true);
    expect(readFileSync(join(root, "etc/machine-id"), "utf8")).toBe("");
    expect(existsSync(join(root, "etc/systemd/system/systemd-timesyncd.service.d/ota-agent-immutable-root.conf"))).toBe(true);
  });

  it("package-variable-unset-fails-with-a-clear-message", () => {
    const r = runHook(rootfs("nopkg"), {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("IGconf_otaagent_package");
  });
});
