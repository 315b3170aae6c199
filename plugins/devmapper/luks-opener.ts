// Opens configured LUKS2 containers on the boot disk that the initramfs left closed, keyed by a keyscript.
import type { Platform } from "../../core/capabilities/platform.js";
import type { BlockLineage } from "../../core/capabilities/block-lineage.js";
import type { BootTask, BootTaskContext } from "../../core/capabilities/boot-task.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError } from "../../core/errors/index.js";

export interface LuksContainerConfig {
  /** LUKS2 header label ("USERDATA_CRYPT"). */
  label: string;
  /** dm name to open it as ("userdata_crypt"). */
  name: string;
  /** Program printing the key on stdout (crypttab keyscript=). */
  keyscript: string;
  /** Its single argument (crypttab's key field). */
  keyscriptArg: string;
  /** Map the partitions inside (kpartx -av -p p), as rpi-image-gen's initramfs does. */
  partitioned: boolean;
}

export interface LuksOpenerOptions {
  containers: readonly LuksContainerConfig[];
  timeoutMs: number;
}

/**
 * The key travels keyscript → pipe → `cryptsetup --key-file=-` inside one shell: it is never in argv, never in
 * the agent's memory or logs, never on disk. The keyscript's stderr is discarded (a careless keyscript might echo
 * the key there); a failing keyscript leaves a marker line on stderr so we can tell it from a wrong key.
 */
const OPEN_SCRIPT =
  '{ "$1" "$2" 2>/dev/null || echo "ota-keyscript-failed" >&2; } | cryptsetup open --type luks2 --key-file=- "$3" "$4"';
const KEYSCRIPT_FAILED = "ota-keyscript-failed";

export class LuksOpener implements BootTask {
  readonly name = "devmapper-luks-open";
  readonly phases = ["early"] as const;

  constructor(
    private readonly platform: Platform,
    private readonly lineage: BlockLineage,
    private readonly bootDisk: () => Promise<string>,
    private readonly log: Logger,
    private readonly options: LuksOpenerOptions,
  ) {}

  async run(_ctx: BootTaskContext): Promise<void> {
    if (this.options.containers.length === 0) return;
    const disk = await this.bootDisk();
    const found = await this.lineage.luksContainers(disk);
    for (const want of this.options.containers) {
      const c = found.find((f) => f.label === want.label);
      if (!c) {
        throw new OtaError(
          "OTA_ERR_SLOT_LUKS_NOT_FOUND",
          `no LUKS2 container labelled ${want.label} on ${disk} (found: ${found.map((f) => f.label || "<no label>").join(", ") || "none"})`,
          { details: { label: want.label, disk } },
        );
      }
      if (c.mapped || (await this.platform.fs.exists(`/dev/mapper/${want.name}`))) {
        this.log.info(
          { event: "devmapper.luks.already-open", label: want.label, device: c.device, mapped: c.mapped ?? want.name },
          `${want.label} on ${c.device} is already open`,
        );
        continue;
      }
      await this.open(c.device, want);
    }
  }

  private async open(device: string, want: LuksContainerConfig): Promise<void> {
    const host = this.platform.path(device);
    this.log.info(
      { event: "devmapper.luks.open", label: want.label, device, name: want.name },
      `opening ${want.label} on ${device} as ${want.name}`,
    );
    const res = await this.platform.run("sh", ["-c", OPEN_SCRIPT, "ota-luks-open", want.keyscript, want.keyscriptArg, host, want.name], {
      timeoutMs: this.options.timeoutMs,
      maxOutputBytes: 64 * 1024,
      env: crypttabEnv(want, host),
    });
    if (res.stderr.includes(KEYSCRIPT_FAILED)) {
      throw new OtaError("OTA_ERR_SLOT_KEYSCRIPT_FAILED", `keyscript ${want.keyscript} failed for ${want.label}`, {
        details: { keyscript: want.keyscript, label: want.label },
      });
    }
    if (res.code !== 0) {
      throw new OtaError(
        "OTA_ERR_SLOT_LUKS_OPEN_FAILED",
        `cryptsetup open ${device} as ${want.name} ${res.timedOut ? "timed out" : `exited ${res.code ?? res.signal}`}`,
        { details: { device, name: want.name, code: res.code, stderr: res.stderr.slice(-2000) } },
      );
    }
    if (!want.partitioned) return;
    const kp = await this.platform.run("kpartx", ["-av", "-p", "p", `/dev/mapper/${want.name}`], {
      timeoutMs: this.options.timeoutMs,
    });
    if (kp.code !== 0) {
      throw new OtaError("OTA_ERR_SLOT_LUKS_OPEN_FAILED", `kpartx could not map the partitions of ${want.name}`, {
        details: { name: want.name, code: kp.code, stderr: kp.stderr.slice(-2000) },
      });
    }
  }
}

/**
 * What cryptsetup's crypttab handling exports to a keyscript (crypttab(5): CRYPTTAB_NAME, _SOURCE, _KEY, _OPTIONS,
 * _OPTION_<opt>, _TRIED). Device-bound keyscripts read the container from CRYPTTAB_SOURCE (rpi-image-gen's hwkey
 * derives the key from the block device's id), so without these a keyscript that works in the initramfs would
 * print a wrong key here.
 */
export function crypttabEnv(want: LuksContainerConfig, source: string): Record<string, string> {
  return {
    CRYPTTAB_NAME: want.name,
    _CRYPTTAB_NAME: want.name,
    CRYPTTAB_SOURCE: source,
    _CRYPTTAB_SOURCE: source,
    CRYPTTAB_KEY: want.keyscriptArg,
    _CRYPTTAB_KEY: want.keyscriptArg,
    CRYPTTAB_OPTIONS: `luks,keyscript=${want.keyscript}`,
    _CRYPTTAB_OPTIONS: `luks,keyscript=${want.keyscript}`,
    CRYPTTAB_OPTION_luks: "y",
    CRYPTTAB_OPTION_keyscript: want.keyscript,
    CRYPTTAB_TRIED: "0",
  };
}
