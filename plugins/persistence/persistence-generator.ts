// Runs the generator phase: gathers boot facts, plans the units and writes them into systemd's generator directory.
import type { Platform } from "../../core/capabilities/platform.js";
import { OtaError } from "../../core/errors/index.js";
import type { BootedSystemDetector } from "./booted-system.js";
import { fstabMountPoints } from "./fstab.js";
import type { KernelLog } from "./kernel-log.js";
import { readSlotSharedPaths } from "./slot-shared-config.js";
import { planUnits, type GeneratorFacts, type UnitPlan } from "./unit-plan.js";

/** Where rpi-image-gen installs its generators (and where an administrator could put them). */
const GENERATOR_DIRS = ["/usr/lib/systemd/system-generators", "/lib/systemd/system-generators", "/etc/systemd/system-generators"];
const UDEV_RULE_DIRS = ["/etc/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"];
const BY_SLOT_PERSISTENT = "/dev/disk/by-slot/persistent";
export const AGENT_PATH = "/usr/bin/ota-agent";

export interface PersistenceGeneratorOptions {
  /** Configured device of the persistent filesystem; otherwise by-slot or by-label (see `persistentDevice`). */
  device?: string;
  label: string;
}

export class PersistenceGenerator {
  constructor(
    private readonly platform: Platform,
    private readonly detector: BootedSystemDetector,
    private readonly klog: KernelLog,
    private readonly options: PersistenceGeneratorOptions,
  ) {}

  /** Gathers the facts the plan needs; read-only. */
  async facts(): Promise<GeneratorFacts> {
    const fs = this.platform.fs;
    const booted = await this.detector.detect();
    const shared = await readSlotSharedPaths(fs);
    for (const skip of shared.skipped) await this.klog.warn("persistence.slot-shared.skipped", `${skip.file}: ${skip.reason}`);
    return {
      booted,
      persistentDevice: await this.persistentDevice(),
      rpiPerstGenerator: await this.anyExists(GENERATOR_DIRS.map((d) => `${d}/slot-perst-generator`)),
      rpiSharedGenerator: await this.anyExists(GENERATOR_DIRS.map((d) => `${d}/slot-shared-generator`)),
      fstab: await fstabMountPoints(fs),
      adminUnits: new Set(await fs.readdir("/etc/systemd/system").catch(() => [])),
      sharedPaths: shared.paths,
      agentPath: AGENT_PATH,
    };
  }

  /**
   * The persistent filesystem's device: the configured one; else the by-slot link when it exists or a udev rule
   * of the image makes it (rpi-image-gen HEAD, 2026-04-10 on; the link also covers a dm partition inside LUKS);
   * else the filesystem label (older images mounted LABEL=PERSISTENT).
   */
  async persistentDevice(): Promise<string> {
    if (this.options.device) return this.options.device;
    if (await this.platform.fs.lstat(BY_SLOT_PERSISTENT)) return BY_SLOT_PERSISTENT;
    for (const dir of UDEV_RULE_DIRS) {
      const names = await this.platform.fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith(".rules"))) {
        const text = await this.platform.fs.readText(`${dir}/${name}`).catch(() => undefined);
        if (text?.includes("by-slot/persistent")) return BY_SLOT_PERSISTENT;
      }
    }
    return `/dev/disk/by-label/${this.options.label}`;
  }

  /** Plans and writes the units into `normalDir` (a host path, as systemd passes it). */
  async run(normalDir: string): Promise<UnitPlan> {
    const dir = this.platform.devicePath(normalDir);
    if (dir === undefined || !(await this.platform.fs.stat(dir))?.isDirectory) {
      throw new OtaError("OTA_ERR_PERSIST_GENERATOR_DIR", `generator output directory ${normalDir} is missing or outside the sysroot`, {
        details: { normalDir, sysroot: this.platform.sysroot },
      });
    }
    const facts = await this.facts();
    const plan = planUnits(facts);
    await this.klog.info(
      "persistence.slot",
      `booted ${facts.booted.slot} (${facts.booted.source}: ${facts.booted.reason}); persistent device ${facts.persistentDevice}`,
    );
    for (const reason of plan.skipped) await this.klog.info("persistence.step-aside", `not emitted: ${reason}`);
    try {
      for (const entry of plan.entries) {
        const path = `${dir}/${entry.path}`;
        await this.platform.fs.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        if (entry.symlink !== undefined) {
          if (await this.platform.fs.lstat(path)) await this.platform.fs.unlink(path);
          await this.platform.fs.symlink(entry.symlink, path);
        } else {
          await this.platform.fs.writeFile(path, entry.content ?? "", 0o644);
        }
      }
    } catch (err) {
      throw new OtaError("OTA_ERR_PERSIST_GENERATOR_DIR", `cannot write units into ${normalDir}: ${String(err)}`, {
        cause: err,
        details: { normalDir },
      });
    }
    await this.klog.info("persistence.generated", `wrote ${plan.entries.length} entries into ${normalDir}`);
    return plan;
  }

  private async anyExists(paths: readonly string[]): Promise<boolean> {
    for (const path of paths) if (await this.platform.fs.exists(path)) return true;
    return false;
  }
}
