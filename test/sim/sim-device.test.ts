// The simulated Raspberry Pi behaves like the real one where the agent can notice: tryboot, fallback, power cuts.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { OtaError } from "../../core/errors/index.js";
import { SimDevice, SimHalt, SimPowerCut, isSimStop, makeSlotImages, parseSystemMarker, simStopOf, type SimDeviceOptions } from "./index.js";

const execFileAsync = promisify(execFile);
const devices: SimDevice[] = [];
async function device(options: SimDeviceOptions = {}): Promise<SimDevice> {
  const d = await SimDevice.create(options);
  devices.push(d);
  return d;
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

const ARMED_B = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n";
const DISARMED_A = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n";

async function rebootInto(d: SimDevice, arg?: string): Promise<void> {
  await expect(d.platform().reboot(arg)).rejects.toBeInstanceOf(SimHalt);
}

async function dtU32(d: SimDevice, name: string): Promise<number> {
  return (await readFile(d.path(`/proc/device-tree/chosen/bootloader/${name}`))).readUInt32BE(0);
}

describe("sim device: factory state", () => {
  it("powers on into the committed slot a with the device tree, by-slot links and data dir in place", async () => {
    const d = await device();
    expect(d.lastBoot).toMatchObject({ slot: "a", partition: 2, trial: false, outcome: "up", version: "v1" });
    expect(await dtU32(d, "partition")).toBe(2);
    expect(await dtU32(d, "tryboot")).toBe(0);
    expect(await dtU32(d, "boot-mode")).toBe(1);
    expect(await dtU32(d, "capabilities")).toBe(0x0c);
    const fs = d.platform().fs;
    expect(await fs.realpath("/dev/disk/by-slot/active/boot")).toBe("/dev/mmcblk0p2");
    expect(await fs.realpath("/dev/disk/by-slot/other/system")).toBe("/dev/mmcblk0p5");
    expect(await fs.readlink("/dev/disk/by-slot/bootconfig")).toBe("/dev/mmcblk0p1");
    expect(await fs.readText(`${d.dataDir}/device_type`)).toBe("device_type=raspberrypi5\n");
    expect((await fs.stat("/dev/disk/by-slot/active/system"))?.size).toBe(8 * 1024 * 1024);
    expect((await d.autoboot()).committed).toBe("a");
    expect(JSON.parse(await readFile(d.configFile, "utf8"))).toMatchObject({ sysroot: d.sysroot, dataDir: d.dataDir });
  });

  it("boot-mode 6 puts the layout on /dev/nvme0n1", async () => {
    const d = await device({ bootMode: 6 });
    expect(await dtU32(d, "boot-mode")).toBe(6);
    expect(await d.platform().fs.realpath("/dev/disk/by-slot/active/system")).toBe("/dev/nvme0n1p4");
    expect(d.partitionDevice(3)).toBe("/dev/nvme0n1p3");
  });

  it("writes a GPT with the rpi-image-gen partition names (legacy layout names p1 config)", async () => {
    const d = await device({ layout: "legacy", boot: false });
    const { stdout } = await execFileAsync("sgdisk", ["-p", d.path("/dev/mmcblk0")]);
    for (const name of ["config", "boot_a", "boot_b", "system_a", "system_b", "persistent"]) expect(stdout).toContain(name);
    expect(d.status).toBe("off");
  });
});

describe("sim firmware: tryboot", () => {
  it("boots the [tryboot] partition once for a reboot with \" tryboot\", then the committed one again", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    expect(d.pendingReboot).toEqual({ arg: "0 tryboot" });
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true, outcome: "up", version: "v2" });
    expect(await dtU32(d, "tryboot")).toBe(1);
    expect(await dtU32(d, "partition")).toBe(3);
    expect(await d.platform().fs.realpath("/dev/disk/by-slot/active/system")).toBe("/dev/mmcblk0p5");
    await rebootInto(d);
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false, version: "v1" });
  });

  it("a power cut during the trial lands on the committed slot (the flag is one-shot)", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    await d.boot();
    d.powerCut();
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false });
  });

  it("a plain reboot never starts the trial, even when autoboot.txt is armed", async () => {
    const d = await device();
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0");
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false });
  });

  it("a tryboot with a disarmed autoboot.txt boots the committed slot, flagged as a trial", async () => {
    const d = await device();
    await d.writeAutoboot(DISARMED_A);
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "a", trial: true });
  });

  it("a partition number in the reboot argument overrides boot_partition for one boot", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    await rebootInto(d, "3");
    expect(await d.boot()).toMatchObject({ slot: "b", trial: false, version: "v2" });
  });

  it("trial-slot-panics: the firmware falls back to the committed slot", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2", behaviour: "panics" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    const r = await d.boot();
    expect(r).toMatchObject({ slot: "a", trial: false, outcome: "up", version: "v1" });
    expect(r.bootLog.join("\n")).toMatch(/v2 panics/);
  });

  it("trial-slot-hangs: the watchdog resets it into the committed slot", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2", behaviour: "hangs" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false, outcome: "up" });
  });

  it("trial-slot-hangs-without-watchdog: the device stays hung until power-cycled", async () => {
    const d = await device({ watchdog: false });
    await d.flashSlot("b", { version: "v2", behaviour: "hangs" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true, outcome: "hung" });
    expect(() => d.platform()).toThrow(/hung/);
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false, outcome: "up" });
  });

  it("trial-slot-blank: a boot partition without an image is skipped to the committed slot", async () => {
    const d = await device({ slotB: null });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false });
  });

  it("tryboot-without-tryboot_a_b: the trial fails and the committed slot boots", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    await d.writeAutoboot("[all]\nboot_partition=2\n[tryboot]\nboot_partition=3\n");
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "a", trial: false });
  });

  it("autoboot-missing or garbled: boots the first bootable partition (boot_a)", async () => {
    const d = await device({ committed: "b" });
    expect(d.lastBoot?.slot).toBe("b");
    await d.writeAutoboot("\u0000\u0001garbage\nboot_partition=x\n");
    d.powerCut();
    expect(await d.boot()).toMatchObject({ slot: "a" });
  });

  it("committed-slot-panics-too: the firmware gives up and reports hung", async () => {
    const d = await device({ slotA: { version: "v1", behaviour: "panics" } });
    expect(d.lastBoot).toMatchObject({ outcome: "hung" });
    expect(d.lastBoot?.bootLog.at(-1)).toMatch(/gave up/);
  });

  it("unhealthy: the simulated systemd reports degraded and a failed unit", async () => {
    const d = await device({ slotA: { version: "v1", behaviour: "unhealthy" } });
    expect(d.lastBoot?.outcome).toBe("up-unhealthy");
    const p = d.platform();
    const sys = await p.run("systemctl", ["is-system-running"]);
    expect([sys.code, sys.stdout.trim()]).toEqual([1, "degraded"]);
    const unit = await p.run("systemctl", ["is-active", "sim-app.service"]);
    expect([unit.code, unit.stdout.trim()]).toEqual([3, "failed"]);
    const ok = await p.run("systemctl", ["is-active", "ota-agent.service"]);
    expect(ok.code).toBe(0);
  });
});

describe("sim storage: power cuts", () => {
  it("dropped-unsynced-write: a file written without sync disappears; a durable one survives", async () => {
    const d = await device();
    const fs = d.platform().fs;
    await fs.writeFile(`${d.dataDir}/lazy`, "x");
    await fs.writeFile(`/etc/lazy`, "x");
    await fs.writeFileDurable(`${d.dataDir}/careful`, "y");
    expect(d.powerCut()).toBeGreaterThan(0);
    await d.boot();
    const fs2 = d.platform().fs;
    expect(await fs2.exists(`/etc/lazy`)).toBe(false);
    // its directory was fsynced (by the durable write beside it) but its data was not: a zero-length file
    expect(await fs2.readText(`${d.dataDir}/lazy`)).toBe("");
    expect(await fs2.readText(`${d.dataDir}/careful`)).toBe("y");
  });

  it("rename-without-dir-fsync: the old content comes back; synced data without the rename survives", async () => {
    const d = await device();
    const fs = d.platform().fs;
    const rec = `${d.dataDir}/record.json`;
    await fs.writeFileDurable(rec, "old");
    const fh = await fs.open(`${rec}.new`, "wx");
    await fh.write(Buffer.from("new"), 0, 3, 0);
    await fh.sync();
    await fh.close();
    await fs.rename(`${rec}.new`, rec);
    d.powerCut();
    await d.boot();
    expect(await d.platform().fs.readText(rec)).toBe("old");
  });

  it("in-place-unsynced-write to a partition is undone byte-exactly; synced writes stay", async () => {
    const d = await device();
    const fs = d.platform().fs;
    const fh = await fs.open("/dev/disk/by-slot/other/system", "r+");
    await fh.write(makeSlotImages({ version: "v2" }).system, 0, 4096, 0);
    await fh.close();
    d.powerCut();
    await d.boot();
    expect((await d.slotMarker("b"))?.version).toBe("v1");
    const fh2 = await d.platform().fs.open("/dev/disk/by-slot/other/system", "r+");
    await fh2.write(makeSlotImages({ version: "v2" }).system, 0, 4096, 0);
    await fh2.sync();
    await fh2.close();
    d.powerCut();
    await d.boot();
    expect((await d.slotMarker("b"))?.version).toBe("v2");
  });

  it("replaced-file-with-unsynced-data: its pending undo never lands on the file that replaced it", async () => {
    const d = await device();
    const fs = d.platform().fs;
    const x = `${d.dataDir}/x`;
    await fs.writeFileDurable(x, "old-old-old");
    const fh = await fs.open(x, "r+");
    await fh.write(Buffer.from("MOD"), 0, 3, 0); // never synced
    await fh.close();
    await fs.writeFileDurable(x, "brand-new-content"); // replaces x by rename, durable
    d.powerCut();
    await d.boot();
    expect(await d.platform().fs.readText(x)).toBe("brand-new-content");
  });

  it("removed-then-restored: an unlink undone by a cut brings the file back with its durable data", async () => {
    const d = await device();
    const fs = d.platform().fs;
    const x = `${d.dataDir}/x`;
    await fs.writeFileDurable(x, "durable");
    const fh = await fs.open(x, "r+");
    await fh.write(Buffer.from("DIRTY"), 0, 5, 0);
    await fh.close();
    await fs.unlink(x);
    d.powerCut();
    await d.boot();
    expect(await d.platform().fs.readText(x)).toBe("durable");
  });

  it("handle-left-open-by-a-cut: openFiles names it until the caller closes it, across boots", async () => {
    const d = await device();
    const fh = await d.platform().fs.open("/dev/disk/by-slot/other/boot", "r+");
    try {
      d.armCut({ atWrite: 1 });
      await expect(fh.write(Buffer.from("x"), 0, 1, 0)).rejects.toBeInstanceOf(SimPowerCut);
      await d.boot();
      expect(d.openFiles()).toEqual(["/dev/disk/by-slot/other/boot"]);
    } finally {
      await fh.close(); // what a caller's finally does, even after the cut
    }
    expect(d.openFiles()).toEqual([]);
    await d.platform().fs.writeFileDurable(`${d.dataDir}/x`, "x");
    expect(d.openFiles()).toEqual([]);
  });

  it("a cut with dropUnsynced false keeps what was written", async () => {
    const d = await device();
    await d.platform().fs.writeFile(`${d.dataDir}/lazy`, "x");
    expect(d.powerCut({ dropUnsynced: false })).toBe(0);
    await d.boot();
    expect(await d.platform().fs.readText(`${d.dataDir}/lazy`)).toBe("x");
  });

  it("a clean reboot makes every write durable", async () => {
    const d = await device();
    const p = d.platform();
    await p.fs.writeFile(`${d.dataDir}/lazy`, "x");
    await rebootInto(d);
    await d.boot();
    d.powerCut();
    await d.boot();
    expect(await d.platform().fs.readText(`${d.dataDir}/lazy`)).toBe("x");
  });

  it("a named checkpoint cuts once (or every time), is logged, and the old boot's platform is dead", async () => {
    const d = await device();
    const p = d.platform();
    d.armCut({ at: "state:Install:saved" });
    p.checkpoint("state:Download:saved");
    expect(() => p.checkpoint("state:Install:saved")).toThrow(SimPowerCut);
    expect(d.lastCut).toBe("state:Install:saved");
    expect(d.checkpointsSeen.slice(-2)).toEqual(["state:Download:saved", "state:Install:saved"]);
    await expect(p.fs.readText("/etc/os-release")).rejects.toBeInstanceOf(SimPowerCut);
    await d.boot();
    d.platform().checkpoint("state:Install:saved"); // cut was once
    d.armCut({ at: "x", every: true });
    expect(() => d.platform().checkpoint("x")).toThrow(SimPowerCut);
    await d.boot();
    expect(() => d.platform().checkpoint("x")).toThrow(SimPowerCut);
  });

  it("durable-write-sweep: a cut at every step of writeFileDurable leaves the old or the new file, never a mix", async () => {
    const d = await device();
    const rec = `${d.dataDir}/rec`;
    await d.platform().fs.writeFileDurable(rec, "old-content");
    let n = 1;
    for (; n < 50; n++) {
      d.armCut({ atWrite: n });
      try {
        await d.platform().fs.writeFileDurable(rec, "new-content-longer");
        break; // no cut fired: all steps covered
      } catch (err) {
        expect(err).toBeInstanceOf(SimPowerCut);
      }
      await d.boot();
      const fs = d.platform().fs;
      expect(["old-content", "new-content-longer"]).toContain(await fs.readText(rec));
      expect((await fs.readdir(d.dataDir)).filter((f) => f.includes(".tmp"))).toEqual([]);
      await fs.writeFileDurable(rec, "old-content");
    }
    expect(n).toBeGreaterThan(4); // create, write, sync, rename, fsync-dir were all cut at
    d.disarmCut();
  });

  it("a wrapped cut is still recognised through the cause chain", () => {
    const cut = new SimPowerCut("x");
    const wrapped = new OtaError("OTA_ERR_STORE_WRITE", "store: write", { cause: cut });
    expect(simStopOf(wrapped)).toBe(cut);
    expect(isSimStop(new Error("plain"))).toBe(false);
  });

  it("a reboot halts the caller and every later call on that boot's platform", async () => {
    const d = await device();
    const p = d.platform();
    await rebootInto(d, "0 tryboot");
    await expect(p.fs.writeFile("/x", "y")).rejects.toBeInstanceOf(SimHalt);
    expect(d.status).toBe("rebooting");
  });

  it("child processes reboot through the configured rebootCommand", async () => {
    const d = await device();
    await d.flashSlot("b", { version: "v2" });
    await d.writeAutoboot(ARMED_B);
    const cmd = d.config().rebootCommand as string[];
    await execFileAsync(cmd[0] as string, [...cmd.slice(1), "0 tryboot"]);
    expect(d.pendingReboot).toEqual({ arg: "0 tryboot" });
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
    // the fake systemctl records a reboot the same way
    await d.platform().run("systemctl", ["reboot", "0 tryboot"]);
    expect(d.pendingReboot).toEqual({ arg: "0 tryboot" });
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
  });
});

describe("sim: raw bootconfig and images", () => {
  it("raw mode keeps autoboot.txt in a real FAT image on p1 that the firmware reads", async () => {
    const d = await device({ bootconfig: "raw" });
    expect((await d.autoboot()).committed).toBe("a");
    await d.flashSlot("b", { version: "v2" });
    await d.writeAutoboot(ARMED_B);
    await rebootInto(d, "0 tryboot");
    expect(await d.boot()).toMatchObject({ slot: "b", trial: true });
    expect(await d.platform().fs.exists("/bootfs/autoboot.txt")).toBe(false);
  });

  it("slot images carry a marker the firmware and tests can read back", () => {
    const img = makeSlotImages({ version: "v9", behaviour: "unhealthy", systemBytes: 65536, fill: "pattern" });
    expect(img.system.length).toBe(65536);
    expect(parseSystemMarker(img.system)).toEqual({ version: "v9", behaviour: "unhealthy" });
    expect(parseSystemMarker(Buffer.alloc(100))).toBeUndefined();
  });
});
