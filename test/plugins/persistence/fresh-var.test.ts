// Fresh /var policies on fixture trees: keep, reseed, copy-from-previous; re-runs and power cuts at every step.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import { FreshVar, FRESH_VAR_MARKER, type FreshVarPolicy } from "../../../plugins/persistence/fresh-var.js";
import { DEFAULT_VAR_EXCLUDES } from "../../../plugins/persistence/config.js";
import { recordingLogger } from "./test-logger.js";
import { PersistenceTask } from "../../../plugins/persistence/persistence-task.js";
import type { BootedSystemDetector } from "../../../plugins/persistence/booted-system.js";
import type { PersistenceGenerator } from "../../../plugins/persistence/persistence-generator.js";
import type { SharedSeeder } from "../../../plugins/persistence/shared-seeder.js";

class PowerCut extends Error {}

/** A Platform whose power fails at one named checkpoint (once). */
class CuttablePlatform extends NodePlatform {
  cutAt: string | undefined;
  override checkpoint(name: string): void {
    if (name === this.cutAt) {
      this.cutAt = undefined;
      throw new PowerCut(name);
    }
  }
}

let root: string;
const host = (p: string): string => join(root, p);
function file(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(host(path)), { recursive: true });
  writeFileSync(host(path), content);
  chmodSync(host(path), mode);
}
function freshVar(policy: FreshVarPolicy, platform = new CuttablePlatform({ sysroot: root })) {
  const fv = new FreshVar(platform, recordingLogger(), { policy, seed: "/usr/lib/ota-agent/var-seed", exclude: [...DEFAULT_VAR_EXCLUDES] });
  return { fv, platform };
}
async function cut(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ota-freshvar-"));
  // the image: an identity, a seed
  file("/etc/os-release", 'ID=debian\nVERSION_ID="13"\n');
  file("/etc/rpi-issue", "Generated using rpi-image-gen v2 on 2026-11-01\nArtefact version: 2.0.0\n");
  file("/usr/lib/ota-agent/var-seed/lib/dpkg/status", "Package: new-image\n");
  mkdirSync(host("/usr/lib/ota-agent/var-seed/tmp"), { recursive: true });
  chmodSync(host("/usr/lib/ota-agent/var-seed/tmp"), 0o1777);
  // slot A's /var (the previous, committed-before slot)
  file("/persistent/slots/system_a/var/lib/app/state.db", "precious", 0o600);
  chownSync(host("/persistent/slots/system_a/var/lib/app/state.db"), 1234, 4321);
  file("/persistent/slots/system_a/var/cache/apt/pkgcache.bin", "x".repeat(1000));
  file("/persistent/slots/system_a/var/tmp/scratch", "t");
  file("/persistent/slots/system_a/var/log/journal/0123/system.journal", "j");
  chmodSync(host("/persistent/slots/system_a/var/log/journal"), 0o2755);
  file("/persistent/slots/system_a/var/lib/apt/lists/deb_Packages", "lists");
  symlinkSync("../run/lock", host("/persistent/slots/system_a/var/lock"));
  // slot B's stale /var (left from its previous OS)
  file("/persistent/slots/system_b/var/lib/dpkg/status", "Package: stale-old-image\n");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("policies", () => {
  it("keep leaves the slot's /var alone", async () => {
    const { fv } = freshVar("keep");
    expect(await fv.prepare("system_b", "system_a")).toEqual({ action: "kept" });
    expect(existsSync(host("/persistent/slots/system_b/var.ota-next"))).toBe(false);
    expect(await fv.swap("system_b")).toBe("nothing");
    expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toContain("stale");
  });

  it("reseed builds from the new image's seed, swaps in at the next boot", async () => {
    const { fv } = freshVar("reseed");
    expect((await fv.prepare("system_b", "system_a")).action).toBe("prepared");
    // the running /var is untouched until the next boot
    expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toContain("stale");
    expect(readFileSync(host("/persistent/slots/system_b/var.ota-next/lib/dpkg/status"), "utf8")).toBe("Package: new-image\n");
    expect(await fv.swap("system_b")).toBe("swapped");
    expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toBe("Package: new-image\n");
    expect(statSync(host("/persistent/slots/system_b/var/tmp")).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(host("/persistent/slots/system_b")).sort()).toEqual(["var"]);
    // slot A is never touched
    expect(readFileSync(host("/persistent/slots/system_a/var/lib/app/state.db"), "utf8")).toBe("precious");
  });

  it("reseed-without-seed-fails-and-leaves-nothing-half-built", async () => {
    rmSync(host("/usr/lib/ota-agent/var-seed"), { recursive: true });
    const { fv } = freshVar("reseed");
    const err = await cut(fv.prepare("system_b", "system_a"));
    expect(isOtaError(err, "OTA_ERR_PERSIST_VAR_SEED_MISSING")).toBe(true);
    expect(readdirSync(host("/persistent/slots/system_b"))).toEqual(["var"]);
  });

  it("copy-from-previous keeps owners, modes and links but not volatile contents", async () => {
    const { fv } = freshVar("copy-from-previous");
    await fv.prepare("system_b", "system_a");
    await fv.swap("system_b");
    const v = (p: string): string => host(`/persistent/slots/system_b/var${p}`);
    const st = statSync(v("/lib/app/state.db"));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([1234, 4321, 0o600]);
    expect(readFileSync(v("/lib/app/state.db"), "utf8")).toBe("precious");
    expect(readlinkSync(v("/lock"))).toBe("../run/lock");
    for (const dir of ["/cache", "/tmp", "/log/journal", "/lib/apt/lists"]) {
      expect(lstatSync(v(dir)).isDirectory()).toBe(true);
      expect(readdirSync(v(dir))).toEqual([]);
    }
    // set-group-ID directories keep their bit (why the daemon's unit has no RestrictSUIDSGID)
    expect(statSync(v("/log/journal")).mode & 0o7777).toBe(0o2755);
    expect(existsSync(v("/lib/dpkg/status"))).toBe(false);
    expect(existsSync(v(`/${FRESH_VAR_MARKER}`))).toBe(true);
  });

  it("persistent-not-mounted-is-refused", async () => {
    rmSync(host("/persistent"), { recursive: true });
    const { fv } = freshVar("reseed");
    expect(isOtaError(await cut(fv.prepare("system_b", "system_a")), "OTA_ERR_PERSIST_NOT_MOUNTED")).toBe(true);
  });
});

describe("re-runs and power cuts", () => {
  it("post-commit-rerun-does-not-rebuild", async () => {
    const { fv } = freshVar("reseed");
    await fv.prepare("system_b", "system_a", "dep-1");
    const ino = statSync(host("/persistent/slots/system_b/var.ota-next")).ino;
    expect((await fv.prepare("system_b", "system_a", "dep-1")).action).toBe("already-prepared");
    expect(statSync(host("/persistent/slots/system_b/var.ota-next")).ino).toBe(ino);
    // after the swap the marker travels with the tree: still recognised
    await fv.swap("system_b");
    expect((await fv.prepare("system_b", "system_a", "dep-1")).action).toBe("already-prepared");
    // a later deployment does rebuild
    expect((await fv.prepare("system_b", "system_a", "dep-2")).action).toBe("prepared");
  });

  it("fresh-var-build-power-cut-leaves-no-next-and-rerun-completes", async () => {
    const { fv, platform } = freshVar("copy-from-previous");
    platform.cutAt = "persistence:fresh-var:built";
    expect(await cut(fv.prepare("system_b", "system_a"))).toBeInstanceOf(PowerCut);
    expect(existsSync(host("/persistent/slots/system_b/var.ota-next"))).toBe(false);
    // the next boot's swap has nothing to do: the slot keeps a complete (old) /var
    expect(await fv.swap("system_b")).toBe("nothing");
    expect((await fv.prepare("system_b", "system_a")).action).toBe("prepared");
    expect(readdirSync(host("/persistent/slots/system_b")).sort()).toEqual(["var", "var.ota-next"]);
  });

  for (const point of ["persistence:var-swap:old-moved", "persistence:var-swap:next-moved"]) {
    it(`var-swap-power-cut-at-${point.split(":").pop()}-is-finished-next-boot`, async () => {
      const { fv, platform } = freshVar("reseed");
      await fv.prepare("system_b", "system_a");
      platform.cutAt = point;
      expect(await cut(fv.swap("system_b"))).toBeInstanceOf(PowerCut);
      // whatever the state, the next boot ends with the fresh /var and no leftovers
      await fv.swap("system_b");
      expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toBe("Package: new-image\n");
      expect(readdirSync(host("/persistent/slots/system_b"))).toEqual(["var"]);
    });
  }
});

describe("the slot was rewritten before the prepared /var was used", () => {
  it("stale-next-prepared-for-an-earlier-system-is-discarded", async () => {
    const { fv } = freshVar("reseed");
    await fv.prepare("system_b", "system_a", "dep-1");
    // no reboot into B; a later update rewrote slot B with another system, which now boots
    file("/etc/rpi-issue", "Generated using rpi-image-gen v3 on 2026-12-01\nArtefact version: 3.0.0\n");
    const log = recordingLogger();
    const later = new FreshVar(new CuttablePlatform({ sysroot: root }), log, { policy: "reseed", seed: "/usr/lib/ota-agent/var-seed", exclude: [] });
    expect(await later.swap("system_b")).toBe("discarded");
    expect(readdirSync(host("/persistent/slots/system_b"))).toEqual(["var"]);
    expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toContain("stale");
    expect(log.lines.some((l) => l.obj.event === "persistence.fresh-var.stale")).toBe(true);
  });

  it("the system that prepared the tree swaps it in", async () => {
    const { fv } = freshVar("reseed");
    await fv.prepare("system_b", "system_a", "dep-1");
    expect(await freshVar("reseed").fv.swap("system_b")).toBe("swapped");
  });
});

describe("post-commit through the persistence BootTask", () => {
  it("prepares the committed slot from the previous one, never the other way round", async () => {
    const log = recordingLogger();
    const platform = new CuttablePlatform({ sysroot: root });
    const fv = new FreshVar(platform, log, { policy: "copy-from-previous", seed: "/unused", exclude: [...DEFAULT_VAR_EXCLUDES] });
    const task = new PersistenceTask(platform, log, {} as BootedSystemDetector, {} as PersistenceGenerator, fv, {} as SharedSeeder);
    await task.run({ phase: "post-commit", slot: "b", committed: { slot: "b", previous: "a", deploymentId: "dep-1" }, signal: new AbortController().signal });
    expect(readFileSync(host("/persistent/slots/system_b/var.ota-next/lib/app/state.db"), "utf8")).toBe("precious");
    expect(readdirSync(host("/persistent/slots/system_a")).sort()).toEqual(["var"]);
    // a post-commit call without a commit (not expected, but harmless) prepares nothing
    await task.run({ phase: "post-commit", slot: "a", signal: new AbortController().signal });
    expect(readdirSync(host("/persistent/slots/system_a")).sort()).toEqual(["var"]);
  });
});

describe("a slot without /var on the persistent partition", () => {
  it("blank-persistent-slot-is-seeded-from-the-image-var", async () => {
    file("/var/lib/dpkg/status", "Package: image\n");
    mkdirSync(host("/var/tmp"), { recursive: true });
    rmSync(host("/persistent/slots/system_b"), { recursive: true });
    const { fv } = freshVar("keep");
    expect(await fv.seedMissing("system_b")).toBe("seeded");
    expect(readFileSync(host("/persistent/slots/system_b/var/lib/dpkg/status"), "utf8")).toBe("Package: image\n");
    expect(statSync(host("/persistent/slots/system_b/var/tmp")).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(host("/persistent/slots/system_b"))).toEqual(["var"]);
    // an existing /var is never touched
    expect(await fv.seedMissing("system_a")).toBe("present");
  });

  it("var-seed-power-cut-leaves-no-half-var", async () => {
    file("/var/lib/dpkg/status", "Package: image\n");
    rmSync(host("/persistent/slots/system_b"), { recursive: true });
    const { fv, platform } = freshVar("keep");
    platform.cutAt = "persistence:var-seed:built";
    expect(await cut(fv.seedMissing("system_b"))).toBeInstanceOf(PowerCut);
    expect(existsSync(host("/persistent/slots/system_b/var"))).toBe(false);
    expect(await fv.seedMissing("system_b")).toBe("seeded");
    expect(readdirSync(host("/persistent/slots/system_b"))).toEqual(["var"]);
  });
});
