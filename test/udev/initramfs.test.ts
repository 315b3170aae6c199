// initramfs-tools and dracut scripts: hand root to by-slot/active/system, or log and reboot (fake reboot on PATH).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UDEV_DIR, makeShells, runScript, type Shell } from "./shell-runner.js";

const isRoot = process.getuid?.() === 0;
const PREMOUNT = join(UDEV_DIR, "initramfs/initramfs-tools/scripts/local-premount/90-ota-ab-root");
const HOOK = join(UDEV_DIR, "initramfs/initramfs-tools/hooks/ota-slots");
const DRACUT_CHECK = join(UDEV_DIR, "initramfs/dracut/90ota-slots/ota-root-check.sh");
const MODULE_SETUP = join(UDEV_DIR, "initramfs/dracut/90ota-slots/module-setup.sh");

let shells: Shell[] = [];
let dispose: () => Promise<void> = async () => {};
let fakebin: string;

beforeAll(async () => {
  ({ shells, dispose } = await makeShells());
  fakebin = await mkdtemp(join(tmpdir(), "ota-fake-reboot-"));
  // The fake records its arguments and fails, so the sysrq fallback runs too. It never reboots anything.
  await writeFile(join(fakebin, "reboot"), '#!/bin/sh\necho "reboot $*" >> "$FAKE_REBOOT_LOG"\nexit 1\n');
  await chmod(join(fakebin, "reboot"), 0o755);
  // Safety: every shell must find the fake first, or this suite must not run a single script.
  for (const s of shells) {
    const path = `${fakebin}:${s.path ?? process.env.PATH ?? ""}`;
    const found = execFileSync(s.argv[0] as string, [...s.argv.slice(1), "-c", "command -v reboot"], {
      env: { PATH: path },
    })
      .toString()
      .trim();
    if (found !== join(fakebin, "reboot")) throw new Error(`${s.name} would run ${found}, not the fake reboot`);
  }
});
afterAll(async () => {
  await dispose();
  await rm(fakebin, { recursive: true, force: true });
});

async function sysroot(withRoot: "block" | "file" | "none"): Promise<string> {
  const sr = await mkdtemp(join(tmpdir(), "ota-initramfs-"));
  await mkdir(join(sr, "dev/disk/by-slot/active"), { recursive: true });
  await mkdir(join(sr, "proc"), { recursive: true });
  await writeFile(join(sr, "dev/kmsg"), "");
  const node = join(sr, "dev/disk/by-slot/active/system");
  // A block-device node (loop0's 7:0; never opened) is what -b needs; a regular file must not pass.
  if (withRoot === "block") execFileSync("mknod", [node, "b", "7", "0"]);
  if (withRoot === "file") await writeFile(node, "");
  return sr;
}

async function read(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

describe.each(["dash", "busybox"])("initramfs scripts under %s", (shellName) => {
  const shell = (): Shell => {
    const s = shells.find((x) => x.name === shellName) as Shell;
    return { ...s, path: `${fakebin}:${s.path ?? process.env.PATH ?? ""}` };
  };
  const env = (sr: string) => ({ OTA_SYSROOT: sr, FAKE_REBOOT_LOG: join(sr, "reboot.log") });

  it.skipIf(!isRoot)("local-premount hands ROOT over when active/system is a block device (needs root for mknod)", async () => {
    const sr = await sysroot("block");
    try {
      const r = await runScript(shell(), PREMOUNT, [], env(sr));
      expect(r.code).toBe(0);
      expect(await read(join(sr, "conf/param.conf"))).toBe("ROOT=/dev/disk/by-slot/active/system\n");
      expect(await read(join(sr, "reboot.log"))).toBe("");
    } finally {
      await rm(sr, { recursive: true, force: true });
    }
  });

  it.each(["none", "file"] as const)("local-premount with active/system %s: logs to kmsg, reboot -f, then sysrq b", async (kind) => {
    const sr = await sysroot(kind);
    try {
      const r = await runScript(shell(), PREMOUNT, [], env(sr));
      expect(r.code).not.toBe(0);
      expect(await read(join(sr, "dev/kmsg"))).toContain("FATAL: AB missing /dev/disk/by-slot/active/system - rebooting");
      expect(await read(join(sr, "reboot.log"))).toBe("reboot -f\n");
      expect(await read(join(sr, "proc/sysrq-trigger"))).toBe("b\n");
      expect(await read(join(sr, "conf/param.conf"))).toBe("");
    } finally {
      await rm(sr, { recursive: true, force: true });
    }
  });

  it("local-premount answers prereqs", async () => {
    expect((await runScript(shell(), PREMOUNT, ["prereqs"], {})).stdout).toBe("\n");
  });

  it("dracut pre-mount hook reboots when active/system is missing", async () => {
    const sr = await sysroot("none");
    try {
      await runScript(shell(), DRACUT_CHECK, [], env(sr));
      expect(await read(join(sr, "reboot.log"))).toBe("reboot -f\n");
      expect(await read(join(sr, "proc/sysrq-trigger"))).toBe("b\n");
    } finally {
      await rm(sr, { recursive: true, force: true });
    }
  });

  it.skipIf(!isRoot)("dracut pre-mount hook lets the boot go on when active/system exists (needs root for mknod)", async () => {
    const sr = await sysroot("block");
    try {
      // Sourced like dracut does; a following command proves the hook did not exit the init shell.
      const r = await runScript(shell(), "-c", [`. ${DRACUT_CHECK}; echo continued`], env(sr));
      expect(r.stdout).toBe("continued\n");
      expect(await read(join(sr, "reboot.log"))).toBe("");
    } finally {
      await rm(sr, { recursive: true, force: true });
    }
  });

  it("dracut module-setup installs the helpers, both rule files and the pre-mount 50 hook", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ota-dracut-"));
    try {
      const calls = join(dir, "calls");
      // dracut's install functions, faked: each records its arguments.
      const fakes = ["inst_multiple", "inst_simple", "inst_rules", "inst_hook"]
        .map((f) => `${f}() { echo "${f} $*" >> "${calls}"; }`)
        .join("\n");
      const script = `${fakes}\nmoddir=/mod\n. ${MODULE_SETUP}\ncheck && echo "depends $(depends)" >> "${calls}" && install`;
      const r = await runScript(shell(), "-c", [script], {});
      expect(r.code).toBe(0);
      const lines = (await read(calls)).trim().split("\n");
      expect(lines).toContain("depends udev-rules");
      for (const h of ["ota-slot-common", "ota-bootdev-tag", "ota-slot-label", "ota-slot-static"]) {
        expect(lines).toContain(`inst_simple /usr/lib/udev/${h}`);
      }
      expect(lines).toContain("inst_rules 99-ota-00-bootdev.rules 99-ota-01-slot.rules");
      expect(lines).toContain("inst_hook pre-mount 50 /mod/ota-root-check.sh");
      expect(lines.find((l) => l.startsWith("inst_multiple"))?.split(" ")).toEqual(expect.arrayContaining(["od", "sed"]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("initramfs-tools hook copies helpers, rules and tools", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ota-hook-"));
    try {
      const fake = join(dir, "hook-functions");
      await writeFile(
        fake,
        `copy_exec() { echo "exec $1" >> "${dir}/calls"; }\ncopy_file() { echo "file $1 $2" >> "${dir}/calls"; }\n`,
      );
      const r = await runScript(shell(), HOOK, [], { OTA_HOOK_FUNCTIONS: fake });
      expect(r.code).toBe(0);
      const calls = await read(join(dir, "calls"));
      for (const h of ["ota-slot-common", "ota-bootdev-tag", "ota-slot-label", "ota-slot-static"]) {
        expect(calls).toContain(`file script /usr/lib/udev/${h}`);
      }
      expect(calls).toContain("file rules /usr/lib/udev/rules.d/99-ota-01-slot.rules");
      expect(calls).toMatch(/^exec \S+\/od$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
