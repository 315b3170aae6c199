// Test fixtures for the install pipeline and slot modules: a file-backed A/B sysroot, fake slots and bootloader.
import { mkdtemp, mkdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";
import type { Bootloader, BootState } from "../../../core/capabilities/bootloader.js";
import type { SlotLayout, SlotName, SlotResolver } from "../../../core/capabilities/slot-resolver.js";
import type { Logger } from "../../../core/logging/logger.js";
import type { ModuleContext } from "../../../core/capabilities/update-module.js";
import { AgentConfigSchema, type AgentConfig } from "../../../core/config/schema.js";

/** A logger that keeps every line (for asserting operator-visible events). */
export function memoryLogger(lines: Record<string, unknown>[] = []): Logger & { lines: Record<string, unknown>[] } {
  const make = (bindings: Record<string, unknown>): Logger & { lines: Record<string, unknown>[] } => {
    const log = (level: string) => (a: unknown, b?: string) => {
      const obj = typeof a === "string" ? { msg: a } : { ...(a as object), msg: b };
      lines.push({ level, ...bindings, ...obj });
    };
    return {
      lines,
      trace: log("trace"),
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      fatal: log("fatal"),
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

export interface SlotRoot {
  root: string;
  platform: NodePlatform;
  layout: SlotLayout;
  slots: SlotResolver;
  /** Host path of a device path. */
  host(devicePath: string): string;
  cleanup(): Promise<void>;
}

/**
 * A sysroot whose partitions are regular files: /dev/{boot,system}_{a,b}, and by-slot links
 * /dev/disk/by-slot/{active,other}/{boot,system} with absolute targets (resolved inside the sysroot).
 * Slot a is active. Sizes in bytes.
 */
export async function makeSlotRoot(sizes: { boot: number; system: number } = { boot: 1 << 20, system: 4 << 20 }): Promise<SlotRoot> {
  const root = await mkdtemp(join(tmpdir(), "ota-install-"));
  const host = (p: string): string => join(root, p);
  await mkdir(host("/dev/disk/by-slot/active"), { recursive: true });
  await mkdir(host("/dev/disk/by-slot/other"), { recursive: true });
  for (const slot of ["a", "b"]) {
    for (const part of ["boot", "system"] as const) {
      await writeFile(host(`/dev/${part}_${slot}`), "");
      await truncate(host(`/dev/${part}_${slot}`), sizes[part]);
    }
  }
  for (const part of ["boot", "system"]) {
    await symlink(`/dev/${part}_a`, host(`/dev/disk/by-slot/active/${part}`));
    await symlink(`/dev/${part}_b`, host(`/dev/disk/by-slot/other/${part}`));
  }
  const layout: SlotLayout = {
    scheme: "test",
    bootDisk: "/dev/disk0",
    active: { slot: "a", boot: "/dev/disk/by-slot/active/boot", system: "/dev/disk/by-slot/active/system", bootPartition: 2 },
    other: { slot: "b", boot: "/dev/disk/by-slot/other/boot", system: "/dev/disk/by-slot/other/system", bootPartition: 3 },
    reason: "test layout",
  };
  return {
    root,
    platform: new NodePlatform({ sysroot: root }),
    layout,
    slots: { scheme: "test", resolve: () => Promise.resolve(layout) },
    host,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A bootloader that records calls and models booted/committed/trial/armed. */
export class FakeBootloader implements Bootloader {
  readonly name = "fake";
  readonly calls: string[] = [];
  boot: BootState = { booted: "a", committed: "a", trial: false, armed: null };

  state(): Promise<BootState> {
    return Promise.resolve({ ...this.boot });
  }
  armTrial(target: SlotName): Promise<void> {
    this.calls.push(`armTrial(${target})`);
    this.boot.armed = target;
    return Promise.resolve();
  }
  disarm(): Promise<void> {
    this.calls.push("disarm()");
    this.boot.armed = null;
    return Promise.resolve();
  }
  commit(slot: SlotName): Promise<void> {
    this.calls.push(`commit(${slot})`);
    this.boot.committed = slot;
    return Promise.resolve();
  }
  reboot(options: { trial: boolean }): Promise<void> {
    this.calls.push(`reboot(${options.trial})`);
    return Promise.resolve();
  }
}

export function testConfig(overrides: Record<string, unknown> = {}): AgentConfig {
  return AgentConfigSchema.parse({ deviceType: "raspberrypi4", ...overrides });
}

/** A module context for direct module tests. */
export function moduleContext(workDir: string, log: Logger, overrides: Partial<ModuleContext> = {}): ModuleContext {
  return {
    deploymentId: "d1",
    artifactName: "release-2",
    payloadType: "rpi-ab-slot",
    payloadIndex: 0,
    header: { headerInfo: { artifact_provides: { artifact_name: "release-2" } }, typeInfo: { type: "rpi-ab-slot" }, metaData: {} },
    currentProvides: { artifact_name: "release-1" },
    currentDeviceType: "raspberrypi4",
    workDir,
    log,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** Deterministic pseudo-random bytes (xorshift), so tests are reproducible. */
export function pseudoRandom(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
