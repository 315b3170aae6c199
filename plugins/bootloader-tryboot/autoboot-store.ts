// Where autoboot.txt is read and replaced: the mounted /bootfs (rename) or the raw bootconfig FAT (in-place sector).
//
// Invariant for both: a power cut at any point leaves the old or the new file, whole; every write is read back.
import type { Platform } from "../../core/capabilities/platform.js";
import { OtaError, asOtaError, isOtaError } from "../../core/errors/index.js";
import type { Logger } from "../../core/logging/logger.js";
import { AUTOBOOT_MAX_BYTES } from "./autoboot-file.js";
import { BOOT_EVENTS } from "./boot-events.js";
import { findFatRootFile, overwriteFatRootFile, readFatRootFile } from "./fat-root-file.js";

export interface AutobootStore {
  readonly mode: "mounted" | "raw";
  /** Where it lives, for messages and `status` ("/bootfs/autoboot.txt", "/dev/mmcblk0p1:autoboot.txt"). */
  readonly location: string;
  /** The file's text; undefined when it does not exist. */
  read(): Promise<string | undefined>;
  /** Replaces the file durably and verifies it by reading it back. */
  write(text: string): Promise<void>;
}

/**
 * /bootfs mounted (rpi-image-gen mounts it rw): temp file → fsync → rename → fsync(dir) through
 * `writeFileDurable`, then read back. The kernel's vfat rename replaces the directory entry in one step; the data
 * was synced before it, so the entry never points at unwritten clusters.
 */
export class MountedAutobootStore implements AutobootStore {
  readonly mode = "mounted" as const;
  constructor(
    private readonly platform: Platform,
    readonly location: string,
  ) {}

  read(): Promise<string | undefined> {
    return this.platform.fs.readText(this.location);
  }

  async write(text: string): Promise<void> {
    const fs = this.platform.fs;
    try {
      await fs.writeFileDurable(this.location, text);
    } catch (err) {
      throw writeError(err, this.location);
    }
    verify(this.location, text, await this.read());
  }
}

/**
 * The bootconfig partition is not mounted: the file is found in the FAT root directory and rewritten in place when
 * the new text fits its current length (padded with newlines, which the firmware ignores). The rpi-slot-tryboot
 * fragment has the same length for every pair of one-digit partitions, so this is the normal case and touches a
 * single sector. Only a text longer than the file (or a missing file) goes through `mcopy`, which is not atomic on
 * FAT: that is logged (event autoboot-write-not-atomic) and the file is padded so later writes fit in place.
 */
export class RawAutobootStore implements AutobootStore {
  readonly mode = "raw" as const;
  readonly location: string;
  constructor(
    private readonly platform: Platform,
    private readonly device: string,
    private readonly log: Logger,
  ) {
    this.location = `${device}:autoboot.txt`;
  }

  async read(): Promise<string | undefined> {
    const fs = this.platform.fs;
    const file = await findFatRootFile(fs, this.device, "autoboot.txt");
    return file && (await readFatRootFile(fs, this.device, file)).toString("latin1");
  }

  async write(text: string): Promise<void> {
    const fs = this.platform.fs;
    const content = Buffer.from(text, "latin1");
    const file = await findFatRootFile(fs, this.device, "autoboot.txt");
    let expected: string;
    if (file && content.length <= file.size && file.size <= file.sectorBytes) {
      const padded = Buffer.concat([content, Buffer.alloc(file.size - content.length, 0x0a)]);
      this.platform.checkpoint("tryboot:autoboot:before-sector-write");
      try {
        await overwriteFatRootFile(fs, this.device, file, padded);
      } catch (err) {
        throw writeError(err, this.location);
      }
      expected = padded.toString("latin1");
    } else {
      const padTo = content.length <= 256 ? 256 : AUTOBOOT_MAX_BYTES;
      const padded = Buffer.concat([content, Buffer.alloc(padTo - content.length, 0x0a)]);
      this.log.warn(
        { event: BOOT_EVENTS.autobootWriteNotAtomic, location: this.location, oldSize: file?.size, newSize: padded.length },
        "autoboot.txt changes length: replacing it with mcopy, which is not power-safe on FAT",
      );
      const image = this.platform.path(await fs.realpath(this.device));
      await this.platform.runChecked("mcopy", ["-o", "-i", image, "-", "::autoboot.txt"], {
        input: padded,
        env: { MTOOLS_SKIP_CHECK: "1" },
        timeoutMs: 30_000,
      }).catch((err: unknown) => {
        throw writeError(err, `${this.location} (mcopy)`);
      });
      expected = padded.toString("latin1");
    }
    verify(this.location, expected, await this.read());
  }
}

/**
 * OS errors (errno codes: EIO, ENOSPC, EROFS) become OTA_ERR_BOOT_AUTOBOOT_WRITE; OtaErrors gain context; anything
 * else (a bug, or a simulated power cut) passes unchanged so it is never mistaken for a write failure.
 */
function writeError(err: unknown, location: string): unknown {
  if (isOtaError(err) || typeof (err as { code?: unknown } | null)?.code === "string") {
    return asOtaError(err, "OTA_ERR_BOOT_AUTOBOOT_WRITE", `write ${location}`);
  }
  return err;
}

function verify(location: string, expected: string, actual: string | undefined): void {
  if (actual !== expected) {
    throw new OtaError("OTA_ERR_BOOT_AUTOBOOT_WRITE", `write ${location}: read back ${actual === undefined ? "nothing" : `${actual.length} different bytes`}`, {
      details: { location, expectedBytes: expected.length, actualBytes: actual?.length },
    });
  }
}
