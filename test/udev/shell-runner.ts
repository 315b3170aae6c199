// Runs the udev shell helpers the way udev does (IMPORT{program} with the device's properties in the environment).
import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SlotSysroot } from "../helpers/slot-sysroot.js";

export const UDEV_DIR = resolve(import.meta.dirname, "../../udev");

/** A shell to run helpers under; busybox also gets a PATH of busybox applets only, as in a busybox initramfs. */
export interface Shell {
  name: string;
  argv: string[];
  path?: string;
}

const APPLETS = ["od", "sed", "grep", "tr", "readlink", "dirname", "cat", "printf", "echo", "wc", "mkdir", "cp", "ls"];

/** dash as /bin/sh, and busybox sh with only busybox applets on PATH. Call `dispose` in afterAll. */
export async function makeShells(): Promise<{ shells: Shell[]; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "ota-busybox-"));
  const bb = "/usr/bin/busybox";
  for (const a of APPLETS) await symlink(bb, join(dir, a));
  return {
    shells: [
      { name: "dash", argv: ["/bin/sh"] },
      { name: "busybox", argv: [bb, "sh"], path: dir },
    ],
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runScript(shell: Shell, script: string, args: string[], env: Record<string, string>): Promise<ShellResult> {
  return new Promise((done) => {
    execFile(
      shell.argv[0] as string,
      [...shell.argv.slice(1), script, ...args],
      { env: { PATH: shell.path ?? process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 10_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 99) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export function helper(name: string): string {
  return join(UDEV_DIR, name);
}

/** One device udev would see: its properties and the device path the link would point at. */
export interface UdevDevice {
  env: Record<string, string>;
  /** Device path (/dev/mmcblk0p3, /dev/dm-2). */
  devnode: string;
}

/** Every partition of the fixture's disk and every dm device, with the properties udev would set. */
export function udevDevices(sr: SlotSysroot, opts: { labels: boolean }, dm: { kname: string; name: string; slaves: string[]; table?: string[] }[] = []): UdevDevice[] {
  const out: UdevDevice[] = [];
  for (const p of sr.partitions) {
    const env = sr.udevEnv(p.number);
    if (!opts.labels) delete env.ID_PART_ENTRY_NAME;
    out.push({ env, devnode: sr.dev(p.number) });
  }
  for (const d of dm) {
    const parent = dm.find((o) => d.slaves.includes(o.kname));
    const m = parent ? new RegExp(`^${parent.name}p?(\\d+)$`).exec(d.name) : null;
    const n = m ? Number(m[1]) : undefined;
    const label = n !== undefined && opts.labels ? parent?.table?.[n - 1] : undefined;
    out.push({ env: sr.udevEnv(d, label, n), devnode: `/dev/${d.kname}` });
  }
  return out;
}

/**
 * What the rules would link: runs ota-bootdev-tag, then ota-slot-label (label present) or ota-slot-static, per device,
 * exactly as 99-ota-00/01 rules do, and returns by-slot name → device path.
 */
export async function shellLinks(shell: Shell, sr: SlotSysroot, devices: UdevDevice[]): Promise<Record<string, string>> {
  const links: Record<string, string> = {};
  for (const d of devices) {
    const env: Record<string, string> = { ...d.env, OTA_SYSROOT: sr.root };
    const dmArgs = env.DM_NAME ? ["-m", env.DM_NAME] : [];
    const tag = await runScript(shell, helper("ota-bootdev-tag"), ["-u", "-d", d.devnode, ...dmArgs], env);
    if (tag.stdout.trim() !== "OTA_ONBOOTDEV=1") continue;
    const slot = env.ID_PART_ENTRY_NAME
      ? await runScript(shell, helper("ota-slot-label"), ["-u", "-d", d.devnode], env)
      : await runScript(shell, helper("ota-slot-static"), ["-u", "-d", d.devnode, ...dmArgs], env);
    const m = /^OTA_SLOT=disk\/by-slot\/(.+)$/m.exec(slot.stdout);
    if (!m?.[1]) continue;
    if (links[m[1]] !== undefined) throw new Error(`${shell.name}: two devices claim by-slot/${m[1]}`);
    links[m[1]] = d.devnode;
  }
  return links;
}
