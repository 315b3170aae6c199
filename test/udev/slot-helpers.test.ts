// The udev helpers on their own, under dash and busybox: boot-disk gating, bad layouts, slot.map faults, tryboot output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { buildSlotSysroot, type SlotSysroot, type SlotSysrootSpec } from "../helpers/slot-sysroot.js";
import { cryptSpec } from "../plugins/devmapper/crypt-fixture.js";
import { helper, makeShells, runScript, type Shell } from "./shell-runner.js";

let shells: Shell[] = [];
let dispose: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ shells, dispose } = await makeShells());
});
afterAll(() => dispose());

async function withSysroot<T>(spec: SlotSysrootSpec, fn: (sr: SlotSysroot) => Promise<T>): Promise<T> {
  const sr = await buildSlotSysroot(spec);
  try {
    return await fn(sr);
  } finally {
    await sr.cleanup();
  }
}

const CLEAR = "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::5\n";

describe.each(["dash", "busybox"])("udev helpers under %s", (shellName) => {
  const sh = (): Shell => shells.find((s) => s.name === shellName) as Shell;
  const run = (sr: SlotSysroot, name: string, args: string[], env: Record<string, string>) =>
    runScript(sh(), helper(name), args, { ...env, OTA_SYSROOT: sr.root });

  it("bootdev-tag tags boot-disk partitions and dm devices built on them, nothing else", async () => {
    await withSysroot(cryptSpec(2, { stick: true }), async (sr) => {
      expect((await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/mmcblk0p3" })).stdout).toBe("OTA_ONBOOTDEV=1\n");
      expect((await run(sr, "ota-bootdev-tag", ["-u", "-m", "osdata_cryptp2"], { DEVNAME: "/dev/dm-2" })).stdout).toBe(
        "OTA_ONBOOTDEV=1\n",
      );
      const stick = await run(sr, "ota-bootdev-tag", ["-u", "-m", "stick_cryptp1"], { DEVNAME: "/dev/dm-5" });
      expect([stick.code, stick.stdout]).toEqual([1, ""]);
      const usb = await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/sda1" });
      expect([usb.code, usb.stdout]).toEqual([1, ""]);
      const lookalike = await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/mmcblk0boot0" });
      expect([lookalike.code, lookalike.stdout]).toEqual([1, ""]);
    });
  });

  it("nvme boot does not tag the SD card's partitions", async () => {
    await withSysroot({ bootMode: 6, partition: 2 }, async (sr) => {
      expect((await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/mmcblk0p2" })).code).toBe(1);
      expect((await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/nvme0n1p2" })).stdout).toBe("OTA_ONBOOTDEV=1\n");
    });
  });

  it("usb-boot-mode-4 makes no links", async () => {
    await withSysroot({ bootMode: 4, diskName: "mmcblk0" }, async (sr) => {
      const r = await run(sr, "ota-bootdev-tag", ["-u"], { DEVNAME: "/dev/mmcblk0p2" });
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain("unsupported boot-mode 4");
    });
  });

  it("missing-dt-partition makes no links", async () => {
    await withSysroot({ partition: null }, async (sr) => {
      const r = await run(sr, "ota-slot-label", ["-u"], sr.udevEnv(3));
      expect([r.code, r.stdout]).toEqual([1, ""]);
    });
  });

  it.each([
    ["upper-case-labels", ["bootconfig", "BOOT_A", "BOOT_B", "SYSTEM_A", "SYSTEM_B"]],
    ["boota-star-without-trailing-letter", ["bootconfig", "bootax", "bootbx", "systemax", "systembx"]],
    ["booted-partition-not-a-boot-label", ["bootconfig", "data", "boot_b", "system_a", "system_b"]],
  ])("%s: bad boot device label, no link", async (_n, labels) => {
    await withSysroot({ labels, partition: 2 }, async (sr) => {
      const r = await run(sr, "ota-slot-label", ["-u"], sr.udevEnv(4));
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain("bad boot device label");
    });
  });

  it("dm-partition-labelled-boot gets no boot alias (the firmware reads boot partitions from the disk)", async () => {
    const spec: SlotSysrootSpec = {
      partition: 2,
      dm: [
        { kname: "dm-0", name: "c", slaves: ["mmcblk0p6"], table: ["boot_b"] },
        { kname: "dm-1", name: "cp1", slaves: ["dm-0"] },
      ],
    };
    await withSysroot(spec, async (sr) => {
      const r = await run(sr, "ota-slot-label", ["-u"], { DEVNAME: "/dev/dm-1", DM_NAME: "cp1", ID_PART_ENTRY_NAME: "boot_b" });
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain("must be on mmcblk0 itself");
    });
  });

  it("duplicate-label on the boot disk: no alias for it, with the reason on stderr", async () => {
    await withSysroot({ labels: ["bootconfig", "boot_a", "boot_b", "system_a", "system_b", "system_a"] }, async (sr) => {
      const r = await run(sr, "ota-slot-label", ["-u"], sr.udevEnv(6));
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain("label system_a is on more than one partition of mmcblk0");
    });
  });

  it("a partition that is no slot member gets no link (exit 0)", async () => {
    await withSysroot({ labels: [...["bootconfig", "boot_a", "boot_b", "system_a", "system_b"], "data"] }, async (sr) => {
      expect(await run(sr, "ota-slot-label", ["-u"], sr.udevEnv(6))).toEqual({ code: 0, stdout: "", stderr: "" });
    });
  });

  it("prints the bare path without -u", async () => {
    await withSysroot({ partition: 3 }, async (sr) => {
      expect((await run(sr, "ota-slot-label", [], sr.udevEnv(4))).stdout).toBe("disk/by-slot/other/system\n");
    });
  });

  it("slot-map-unreadable exits 1 silently", async () => {
    await withSysroot({}, async (sr) => {
      const env = { DEVNAME: "/dev/mmcblk0p3" };
      expect(await run(sr, "ota-slot-static", ["-u"], env)).toEqual({ code: 1, stdout: "", stderr: "" });
    });
  });

  it.each([
    ["missing-key", "a.boot=::2\na.system=::4\nb.boot=::3\n", "missing key b.system"],
    ["bad-number", "a.boot=::2\na.system=::4x\nb.boot=::3\nb.system=::5\n", "not a decimal number"],
    ["zero-partition", "a.boot=::2\na.system=::0\nb.boot=::3\nb.system=::5\n", "not a positive number"],
    ["unknown-kind", "a.boot=::2\na.system=lvm:x:4\nb.boot=::3\nb.system=::5\n", "unknown kind"],
    ["mapper-absent", "a.boot=::2\na.system=mapper:c:1\nb.boot=::3\nb.system=::5\n", "neither"],
    ["booted-in-neither-slot", "a.boot=::4\na.system=::5\nb.boot=::3\nb.system=::6\n", "neither a.boot"],
    ["key-given-twice", `${CLEAR}b.boot=::2\n`, "b.boot is given twice"],
    ["device-named-for-two-roles", "a.boot=::2\na.system=::4\nb.boot=::3\nb.system=::3\n", "more than one role"],
  ])("slot.map %s: error, no link", async (_n, map, message) => {
    await withSysroot({ slotMap: map, partition: 2 }, async (sr) => {
      const r = await run(sr, "ota-slot-static", ["-u"], { DEVNAME: "/dev/mmcblk0p3" });
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain(message);
    });
  });

  it("slot.map mapper entry that exists under both namings is refused", async () => {
    const spec: SlotSysrootSpec = {
      slotMap: "a.boot=::2\na.system=mapper:c:1\nb.boot=::3\nb.system=::5\n",
      dm: [
        { kname: "dm-0", name: "c", slaves: ["mmcblk0p4"] },
        { kname: "dm-1", name: "c1", slaves: ["dm-0"] },
        { kname: "dm-2", name: "cp1", slaves: ["dm-0"] },
      ],
    };
    await withSysroot(spec, async (sr) => {
      const r = await run(sr, "ota-slot-static", ["-u"], { DEVNAME: "/dev/mmcblk0p3" });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("both");
    });
  });

  it("slot.map with comments and CRLF lines maps the booted slot", async () => {
    await withSysroot({ slotMap: `# map\r\n\r\n${CLEAR.replace(/\n/g, "\r\n")}`, partition: 3 }, async (sr) => {
      expect((await run(sr, "ota-slot-static", ["-u"], { DEVNAME: "/dev/mmcblk0p2" })).stdout).toBe(
        "OTA_SLOT=disk/by-slot/other/boot\n",
      );
    });
  });

  it("ota-slot-tryboot prints the autoboot.txt fragment from the by-slot links", async () => {
    const links = { "active/boot": "../../../mmcblk0p3", "other/boot": "../../../mmcblk0p2" };
    await withSysroot({ partition: 3, bySlot: links }, async (sr) => {
      expect(await run(sr, "ota-slot-tryboot", [], {})).toEqual({
        code: 0,
        stdout: "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n",
        stderr: "",
      });
    });
  });

  it.each([
    ["absolute link targets", { "active/boot": "/dev/mmcblk0p3", "other/boot": "/dev/mmcblk0p2" }],
    ["link to a link through a directory link", { "active/boot": "/dev/alias/boot", "other/boot": "../../../mmcblk0p2" }],
    ["relative target with .. after a directory link", { "active/boot": "../../../alias/../mmcblk0p3", "other/boot": "../by-path/../mmcblk0p2" }],
  ])("ota-slot-tryboot resolves %s inside OTA_SYSROOT, never on the host", async (_n, links) => {
    await withSysroot({ partition: 3, bySlot: { ...links, "by-path": "../../alias" } }, async (sr) => {
      // /dev/alias is a directory link to /dev/aliases, whose "boot" is an absolute link to the active partition.
      // On the host none of these exist: a helper resolving against the host root cannot find a number.
      await mkdir(sr.host("/dev/aliases"), { recursive: true });
      await symlink("/dev/aliases", sr.host("/dev/alias"));
      await symlink("/dev/mmcblk0p3", sr.host("/dev/aliases/boot"));
      expect(await run(sr, "ota-slot-tryboot", [], {})).toEqual({
        code: 0,
        stdout: "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n",
        stderr: "",
      });
    });
  });

  it("tryboot-link-loop fails and prints nothing", async () => {
    await withSysroot({ partition: 3, bySlot: { "active/boot": "../../../mmcblk0p3", "other/boot": "/dev/loop-b" } }, async (sr) => {
      await symlink("/dev/loop-a", sr.host("/dev/loop-b"));
      await symlink("loop-b", sr.host("/dev/loop-a"));
      const r = await run(sr, "ota-slot-tryboot", [], {});
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toContain("cannot find the other boot partition number");
    });
  });

  it.each([
    ["tryboot-without-other-link", { "active/boot": "../../../mmcblk0p3" }],
    ["tryboot-link-without-p-number", { "active/boot": "../../../mmcblk0p3", "other/boot": "../../../mmcblk0" }],
    ["tryboot-both-links-same-partition", { "active/boot": "../../../mmcblk0p3", "other/boot": "../../../mmcblk0p3" }],
  ])("%s fails and prints nothing", async (_n, links) => {
    await withSysroot({ partition: 3, bySlot: links }, async (sr) => {
      const r = await run(sr, "ota-slot-tryboot", [], {});
      expect([r.code, r.stdout]).toEqual([1, ""]);
    });
  });
});

// The bootloader engineer's `ota-agent tryboot-fragment` must print the same bytes as udev/ota-slot-tryboot. The
// comparison runs once that command is registered (its name shows in `ota-agent --help`).
const cli = resolve(import.meta.dirname, "../../bin/ota-agent.js");
const help = await new Promise<string>((done) =>
  execFile(process.execPath, [cli, "--help"], { timeout: 30_000 }, (_err, out) => done(String(out ?? ""))),
);
const hasFragment = existsSync(cli) && /\btryboot-fragment\b/.test(help);
describe.skipIf(!hasFragment)("tryboot fragment parity (skipped until `ota-agent tryboot-fragment` exists)", () => {
  it.each([
    ["mmc, booted a, relative links", 1, 2, "mmcblk0", "../../../"],
    ["nvme, booted b, relative links", 6, 3, "nvme0n1", "../../../"],
    ["mmc, booted b, absolute links", 1, 3, "mmcblk0", "/dev/"],
  ])("%s: ota-agent tryboot-fragment and ota-slot-tryboot print identical bytes", async (_n, bootMode, partition, disk, prefix) => {
    const other = partition === 2 ? 3 : 2;
    const links = { "active/boot": `${prefix}${disk}p${partition}`, "other/boot": `${prefix}${disk}p${other}` };
    await withSysroot({ bootMode, partition, bySlot: links }, async (sr) => {
      const shell = await runScript(shells[0] as Shell, helper("ota-slot-tryboot"), [], { OTA_SYSROOT: sr.root });
      expect(shell.code).toBe(0);
      const ts = await new Promise<string>((done, fail) =>
        execFile(process.execPath, [cli, "tryboot-fragment", "--sysroot", sr.root], (err, out) =>
          err ? fail(err) : done(out),
        ),
      );
      expect(ts).toBe(shell.stdout);
    });
  });
});
