// Every unit we ship or generate passes `systemd-analyze verify` in an image-like root; broken ones do not.
import { afterEach, describe, expect, it } from "vitest";
import { copyFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFakeDevice, type FakeDevice } from "../plugins/persistence/fake-device.js";
import { buildGenerator } from "../plugins/persistence/generator-harness.js";
import { REPO, makeVerifyRoot, removeRoot, stubExecutable, verify } from "./verify-root.js";

const STATIC_UNITS = ["ota-agent.service", "ota-agent-machine-id-sync.service", "ota-agent-commit.service", "ota-agent-luks-open.service"];
const SHARED = { "10-nm.conf": "Version=1\nPath=/etc/NetworkManager/system-connections\nPath=/var/lib/bluetooth\n" };

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A fake device whose root also serves as the verify root, with our units installed and generated. */
async function installedRoot(slot: "system_a" | "system_b"): Promise<{ device: FakeDevice; generated: string[] }> {
  const device = makeFakeDevice({ slot, slotShared: SHARED });
  cleanups.push(device.cleanup);
  makeVerifyRoot(device.root);
  stubExecutable(device.root, "/usr/bin/ota-agent");
  // the fsck template's own binary, so the instance carrying our drop-in can be verified
  stubExecutable(device.root, "/lib/systemd/systemd-fsck");
  for (const unit of STATIC_UNITS) copyFileSync(join(REPO, "systemd", unit), join(device.root, "usr/lib/systemd/system", unit));
  const { generator } = buildGenerator(device);
  const plan = await generator.run(device.normalDir);
  // verify does not read /run/systemd/generator under --root: the same files go where it looks
  cpSync(device.normalDir, join(device.root, "etc/systemd/system"), { recursive: true, verbatimSymlinks: true });
  const generated = plan.entries
    .filter((e) => e.content !== undefined && !e.path.includes("/"))
    .map((e) => e.path);
  return { device, generated };
}

describe("systemd-analyze verify", () => {
  for (const slot of ["system_a", "system_b"] as const) {
    it(`accepts the shipped and generated units (${slot})`, async () => {
      const { device, generated } = await installedRoot(slot);
      expect(generated).toContain("var.mount");
      expect(generated).toContain("etc-NetworkManager-system\\x2dconnections.mount");
      // the fsck instance with our repair drop-in is verified too
      const units = [...STATIC_UNITS, ...generated, "systemd-fsck@dev-disk-by\\x2dslot-persistent.service"];
      const result = verify(device.root, units);
      expect(result.stderr).toBe("");
      expect(result.ok).toBe(true);
    });
  }

  it("exec-start-binary-missing-fails-verification", async () => {
    const { device } = await installedRoot("system_a");
    // the agent is not installed: every unit starting it must fail
    removeRoot(join(device.root, "usr/bin/ota-agent"));
    const result = verify(device.root, ["ota-agent.service"]);
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(/ota-agent.*not executable/);
  });

  it("mount-unit-with-mismatched-where-fails-verification", async () => {
    const { device } = await installedRoot("system_b");
    const path = join(device.root, "etc/systemd/system/var.mount");
    writeFileSync(path, readFileSync(path, "utf8").replace("Where=/var", "Where=/var2"));
    const result = verify(device.root, ["var.mount"]);
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("Where= setting doesn't match unit name");
  });

  it("misspelt-key-is-caught-although-systemd-only-warns", async () => {
    const { device } = await installedRoot("system_a");
    const unit = join(device.root, "usr/lib/systemd/system/ota-agent.service");
    writeFileSync(unit, readFileSync(unit, "utf8").replace("ProtectHome=yes", "ProtectHomes=yes"));
    const result = verify(device.root, ["ota-agent.service"]);
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("Unknown key 'ProtectHomes'");
  });

  it("the generated wants links point at generated units", async () => {
    const { device } = await installedRoot("system_b");
    const wants = readdirSync(join(device.normalDir, "local-fs.target.wants"));
    const units = readdirSync(device.normalDir);
    for (const name of wants) expect(units).toContain(name);
  });
});
