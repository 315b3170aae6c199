// `npm run package` then install.sh into image-like roots: every file lands where units, rules and the CLI expect it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentConfigSchema } from "../../core/config/schema.js";
import { MenderConfigSchema } from "../../plugins/server-mender/config.js";
import { makeFakeDevice } from "../plugins/persistence/fake-device.js";
import { HOST_UNITS, makeVerifyRoot, verify } from "../systemd/verify-root.js";

const REPO = join(import.meta.dirname, "../..");
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
let work: string;
let out: string;

function sh(command: string, args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A Debian-like image root: merged /usr, dpkg status naming systemd and nodejs, a baked machine-id. */
function imageRoot(name: string, systemd: string | undefined, extra: (root: string) => void = () => undefined): string {
  const root = join(work, name);
  for (const d of ["etc/systemd/system", "usr/lib", "usr/bin", "var/lib/dpkg", "var/cache/apt", "var/tmp"]) mkdirSync(join(root, d), { recursive: true });
  symlinkSync("usr/lib", join(root, "lib"));
  writeFileSync(join(root, "usr/bin/node"), "");
  writeFileSync(join(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
  writeFileSync(join(root, "var/cache/apt/pkgcache.bin"), "cache");
  writeFileSync(join(root, "var/lib/dpkg/arch"), "arm64\n");
  const status = [
    "Package: nodejs\nStatus: install ok installed\nVersion: 20.19.2+dfsg-1\n",
    ...(systemd ? [`Package: systemd\nStatus: install ok installed\nVersion: ${systemd}\n`] : []),
  ].join("\n");
  writeFileSync(join(root, "var/lib/dpkg/status"), status);
  extra(root);
  return root;
}

function install(root: string, ...args: string[]) {
  return sh(join(out, "install.sh"), ["--root", root, ...args]);
}

function execStarts(unitText: string): string[] {
  return unitText
    .split("\n")
    .filter((l) => /^Exec(Start|StartPre|StartPost|Stop|Reload)=/.test(l))
    .map((l) => l.slice(l.indexOf("=") + 1).replace(/^[-@:+!]+/, "").split(/\s+/)[0]!)
    .filter((p) => p !== "");
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ota-package-"));
  out = join(work, "pkg");
  const r = sh(process.execPath, [join(REPO, "scripts/package.mjs"), "--out", out, "--bundle-dir", join(work, "bundle"), "--rebuild-bundle"]);
  expect(r.stderr).not.toContain("package: ");
  expect(r.code).toBe(0);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("package tree and tarball", () => {
  it("tarball holds install.sh and the root tree under one versioned directory, owned by root", () => {
    const listing = sh("tar", ["-tvzf", join(out, `ota-agent-${VERSION}.tar.gz`)]).stdout.trim().split("\n");
    const names = listing.map((l) => l.split(/\s+/).pop()!);
    expect(names).toContain(`ota-agent-${VERSION}/install.sh`);
    expect(names).toContain(`ota-agent-${VERSION}/root/usr/bin/ota-agent`);
    expect(names).toContain(`ota-agent-${VERSION}/root/usr/lib/systemd/system-generators/ota-agent-generator`);
    expect(names.every((n) => n.startsWith(`ota-agent-${VERSION}/`))).toBe(true);
    expect(listing.every((l) => l.split(/\s+/)[1] === "0/0")).toBe(true);
  });

  it("packages every file of udev/ and systemd/ (manifest coverage)", () => {
    const root = join(out, "root");
    for (const name of readdirSync(join(REPO, "udev/rules.d"))) expect(existsSync(join(root, "usr/lib/udev/rules.d", name))).toBe(true);
    for (const name of readdirSync(join(REPO, "udev")).filter((n) => n.startsWith("ota-"))) {
      expect(existsSync(join(root, "usr/lib/udev", name))).toBe(true);
    }
  });
});

/** Where each file of systemd/ must land: the directories systemd reads (or, compat, install.sh copies from). */
function systemdDestination(rel: string): string {
  if (/^[^/]+\.(service|timer)$/.test(rel)) return `usr/lib/systemd/system/${rel}`;
  if (rel === "ota-agent-generator") return "usr/lib/systemd/system-generators/ota-agent-generator";
  if (rel.startsWith("journald.conf.d/")) return `usr/lib/systemd/${rel}`;
  if (rel.startsWith("system.conf.d/")) return `usr/lib/systemd/${rel}`;
  if (rel.startsWith("tmpfiles.d/")) return `usr/lib/${rel}`;
  if (rel.startsWith("compat/")) return `usr/share/ota-agent/${rel}`;
  throw new Error(`systemd/${rel}: no known destination (teach this test and packaging/manifest.json where it goes)`);
}

function filesUnder(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) return filesUnder(dir, path);
    return /\.(md|txt)$/.test(e.name) ? [] : [path];
  });
}

describe("systemd/ files in the package tree", () => {
  it("each lands in the directory systemd reads it from", () => {
    const files = filesUnder(join(REPO, "systemd"));
    expect(files).toContain("system.conf.d/10-ota-agent-watchdog.conf");
    for (const rel of files) {
      const dest = join(out, "root", systemdDestination(rel));
      expect(existsSync(dest), `systemd/${rel} → /${systemdDestination(rel)}`).toBe(true);
      expect(readFileSync(dest, "utf8")).toBe(readFileSync(join(REPO, "systemd", rel), "utf8"));
    }
  });
});

describe("installed into a Bookworm-like image (systemd 252)", () => {
  let root: string;
  let key: string;
  beforeAll(() => {
    root = imageRoot("bookworm", "252.39-1~deb12u1");
    key = join(work, "release-key.pem");
    writeFileSync(key, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n");
    const r = install(root, "--device-type", "raspberrypi5", "--server-url", "https://mender.example.com", "--tenant-token", 'tok"en\\x', "--verify-key", key, "--reset-machine-id", "--var-seed");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("every ExecStart of every installed unit exists and is executable", () => {
    const dir = join(root, "usr/lib/systemd/system");
    const units = readdirSync(dir).filter((n) => n.startsWith("ota-agent"));
    expect(units.length).toBeGreaterThanOrEqual(2);
    for (const unit of units) {
      const starts = execStarts(readFileSync(join(dir, unit), "utf8"));
      expect(starts.length).toBeGreaterThan(0);
      for (const path of starts) expect(isExecutable(join(root, path)), `${unit}: ${path}`).toBe(true);
    }
  });

  it("the watchdog, journald and tmpfiles drop-ins are installed where systemd reads them", () => {
    const watchdog = readFileSync(join(root, "usr/lib/systemd/system.conf.d/10-ota-agent-watchdog.conf"), "utf8");
    expect(watchdog).toMatch(/^\[Manager\]$/m);
    expect(watchdog).toMatch(/^RuntimeWatchdogSec=\d+s$/m);
    expect(readFileSync(join(root, "usr/lib/systemd/journald.conf.d/ota-agent-persistent.conf"), "utf8")).toMatch(/^Storage=persistent$/m);
    expect(existsSync(join(root, "usr/lib/tmpfiles.d/ota-agent.conf"))).toBe(true);
  });

  it("the generator is an executable in lib/systemd/system-generators", () => {
    expect(isExecutable(join(root, "lib/systemd/system-generators/ota-agent-generator"))).toBe(true);
    expect(readFileSync(join(root, "usr/lib/systemd/system-generators/ota-agent-generator"), "utf8")).toMatch(/^#!\/bin\/sh\n/);
  });

  it("every program a udev rule runs is installed and executable, and sourced helpers are there", () => {
    const rulesDir = join(root, "usr/lib/udev/rules.d");
    const rules = readdirSync(rulesDir).filter((n) => n.endsWith(".rules"));
    expect(rules.length).toBeGreaterThan(0);
    let programs = 0;
    for (const name of rules) {
      for (const m of readFileSync(join(rulesDir, name), "utf8").matchAll(/(?:IMPORT\{program\}|PROGRAM|RUN\{program\}|RUN)\+?="([^"]+)"/g)) {
        const program = m[1]!.split(/\s+/)[0]!;
        const path = program.startsWith("/") ? program : `/usr/lib/udev/${program}`;
        expect(isExecutable(join(root, path)), `${name}: ${program}`).toBe(true);
        programs += 1;
      }
    }
    expect(programs).toBeGreaterThan(0);
    for (const helper of readdirSync(join(root, "usr/lib/udev")).filter((n) => n.startsWith("ota-"))) {
      for (const m of readFileSync(join(root, "usr/lib/udev", helper), "utf8").matchAll(/^\s*\.\s+"?\$\{?\w+\}?\/([\w-]+)"?/gm)) {
        expect(existsSync(join(root, "usr/lib/udev", m[1]!)), `${helper} sources ${m[1]}`).toBe(true);
      }
    }
  });

  it("node shebangs and launchers name an absolute node", () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        const st = lstatSync(p);
        return st.isDirectory() ? walk(p) : st.isFile() ? [p] : [];
      });
    for (const file of walk(join(out, "root"))) {
      const head = readFileSync(file).subarray(0, 200).toString("utf8");
      if (!head.startsWith("#!")) continue;
      const shebang = head.split("\n")[0]!;
      if (shebang.includes("node")) expect(shebang).toMatch(/^#!(\/usr\/bin\/node|\/usr\/bin\/env node)$/);
      else expect(shebang).toMatch(/^#!\/bin\/(ba)?sh( -[a-z]+)?$/);
    }
    for (const launcher of ["usr/bin/ota-agent", "usr/bin/ota-artifact"]) {
      expect(readFileSync(join(root, launcher), "utf8")).toContain('exec "${OTA_AGENT_NODE:-/usr/bin/node}"');
    }
  });

  it("writes a config the agent's schema accepts, with the given server, device type and keys", () => {
    const path = join(root, "etc/ota-agent/config.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const config = AgentConfigSchema.parse(raw);
    expect(config.deviceType).toBe("raspberrypi5");
    expect(config.artifacts.verifyKeys).toEqual(["/etc/ota-agent/keys/release-key.pem"]);
    expect(readFileSync(join(root, "etc/ota-agent/keys/release-key.pem"), "utf8")).toBe(readFileSync(key, "utf8"));
    const mender = MenderConfigSchema.parse(config.plugins["server-mender"]);
    expect(mender).toMatchObject({ serverUrl: "https://mender.example.com", tenantToken: 'tok"en\\x' });
  });

  it("the default config in the tree is valid too", () => {
    AgentConfigSchema.parse(JSON.parse(readFileSync(join(out, "root/etc/ota-agent/config.json"), "utf8")));
  });

  it("enables the daemon and the machine-id sync, never the standalone commit unit", () => {
    expect(existsSync(join(root, "etc/systemd/system/multi-user.target.wants/ota-agent-commit.service"))).toBe(false);
    expect(existsSync(join(root, "usr/lib/systemd/system/ota-agent-commit.service"))).toBe(true);
  });

  it("enables the units as systemctl would", () => {
    expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/ota-agent.service"))).toBe("/usr/lib/systemd/system/ota-agent.service");
    expect(readlinkSync(join(root, "etc/systemd/system/sysinit.target.wants/ota-agent-machine-id-sync.service"))).toBe(
      "/usr/lib/systemd/system/ota-agent-machine-id-sync.service",
    );
  });

  it("systemd-252-gets-the-private-devices-drop-ins", () => {
    for (const unit of ["systemd-timesyncd", "systemd-resolved"]) {
      expect(readFileSync(join(root, `etc/systemd/system/${unit}.service.d/ota-agent-immutable-root.conf`), "utf8")).toContain("PrivateDevices=no");
    }
  });

  it("empties the baked machine-id and seeds /var without volatile contents", () => {
    expect(readFileSync(join(root, "etc/machine-id"), "utf8")).toBe("");
    expect(existsSync(join(root, "usr/lib/ota-agent/var-seed/lib/dpkg/status"))).toBe(true);
    expect(readdirSync(join(root, "usr/lib/ota-agent/var-seed/cache"))).toEqual([]);
  });

  it("units pass systemd-analyze verify in the installed image", () => {
    const vroot = makeVerifyRoot(join(work, "bookworm-verify"));
    // the installed image's own files over the host unit library
    expect(sh("cp", ["-a", `${root}/usr/.`, join(vroot, "usr")]).code).toBe(0);
    expect(sh("cp", ["-a", `${root}/etc/.`, join(vroot, "etc")]).code).toBe(0);
    expect(existsSync(join(HOST_UNITS, "multi-user.target"))).toBe(true);
    // persistent.mount is generated at boot; a stand-in lets the dependency resolve
    writeFileSync(join(vroot, "etc/systemd/system/persistent.mount"), "[Mount]\nWhat=/dev/disk/by-slot/persistent\nWhere=/persistent\nType=ext4\n");
    const r = verify(vroot, ["ota-agent.service", "ota-agent-machine-id-sync.service"]);
    expect(r.stderr).toBe("");
  });

  it("tmpfiles.d creates the data dir and the D-Bus machine-id link", () => {
    const r = sh("systemd-tmpfiles", [`--root=${root}`, "--create", "ota-agent.conf"]);
    expect(r.code).toBe(0);
    expect(statSync(join(root, "persistent/common/ota-agent")).mode & 0o777).toBe(0o700);
    expect(readlinkSync(join(root, "var/lib/dbus/machine-id"))).toBe("/etc/machine-id");
  });

  it("the installed launcher and generator wrapper produce units on a fake device", () => {
    const device = makeFakeDevice({ slot: "system_b" });
    try {
      const config = join(work, "sim-config.json");
      writeFileSync(config, JSON.stringify({ sysroot: device.root }));
      const env = {
        OTA_AGENT_NODE: process.execPath,
        OTA_AGENT_LIB: join(root, "usr/lib/ota-agent"),
        OTA_AGENT_BIN: join(root, "usr/bin/ota-agent"),
        OTA_AGENT_CONFIG: config,
        OTA_AGENT_KMSG: join(device.root, "dev/kmsg"),
      };
      const help = sh(join(root, "usr/bin/ota-agent"), ["--help"], env);
      expect(help.stdout).toMatch(/generate\s/);
      expect(help.stdout).toMatch(/machine-id-sync\s/);
      const gen = sh(join(root, "usr/lib/systemd/system-generators/ota-agent-generator"), [device.normalDir, device.earlyDir, device.lateDir], env);
      expect(gen.code).toBe(0);
      expect(readFileSync(join(device.normalDir, "var.mount"), "utf8")).toContain("What=/persistent/slots/system_b/var\n");
      expect(readFileSync(join(device.root, "dev/kmsg"), "utf8")).toContain("ota-agent-generator: booted system_b");
    } finally {
      device.cleanup();
    }
  });
});

describe("systemd version detection", () => {
  it("systemd-257-gets-no-private-devices-drop-ins", () => {
    const root = imageRoot("trixie", "257.9-1~deb13u1");
    expect(install(root, "--no-udev").code).toBe(0);
    expect(existsSync(join(root, "etc/systemd/system/systemd-timesyncd.service.d"))).toBe(false);
    // --no-udev: rpi-image-gen's own slot mapper is left alone
    expect(existsSync(join(root, "usr/lib/udev/rules.d/99-ota-01-slot.rules"))).toBe(false);
    expect(existsSync(join(root, "usr/share/initramfs-tools/hooks/ota-slots"))).toBe(false);
  });

  it("no-dpkg-status-reads-the-libsystemd-shared-version", () => {
    for (const [major, expected] of [["252", true], ["258", false]] as const) {
      const root = imageRoot(`nodpkg-${major}`, undefined, (r) => {
        rmSync(join(r, "var/lib/dpkg/status"));
        mkdirSync(join(r, "usr/lib/aarch64-linux-gnu/systemd"), { recursive: true });
        writeFileSync(join(r, `usr/lib/aarch64-linux-gnu/systemd/libsystemd-shared-${major}.so`), "");
      });
      expect(install(root).code).toBe(0);
      expect(existsSync(join(root, "etc/systemd/system/systemd-resolved.service.d/ota-agent-immutable-root.conf"))).toBe(expected);
    }
  });

  it("an image's own config is kept; --config replaces it", () => {
    const root = imageRoot("ownconfig", "257.1-1", (r) => {
      mkdirSync(join(r, "etc/ota-agent"), { recursive: true });
      writeFileSync(join(r, "etc/ota-agent/config.json"), '{"deviceType":"mine"}\n');
    });
    expect(install(root, "--server-url", "https://ignored.example.com").code).toBe(0);
    expect(readFileSync(join(root, "etc/ota-agent/config.json"), "utf8")).toBe('{"deviceType":"mine"}\n');
    const replacement = join(work, "replacement.json");
    writeFileSync(replacement, '{"deviceType":"theirs"}\n');
    expect(install(root, "--config", replacement).code).toBe(0);
    expect(readFileSync(join(root, "etc/ota-agent/config.json"), "utf8")).toBe('{"deviceType":"theirs"}\n');
  });

  it("unknown-option-and-missing-root-are-refused", () => {
    const r = install(join(work, "does-not-exist"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("is not a directory");
    expect(sh(join(out, "install.sh"), ["--bogus"]).stderr).toContain("unknown option --bogus");
  });
});

