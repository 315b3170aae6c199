// The `plugins.persistence` config section: where the persistent partition is, the slot fallback, the fresh-/var policy.
import * as z from "zod";

/** Volatile parts of a /var left behind by copy-from-previous (paths relative to /var; their contents, not the dirs). */
export const DEFAULT_VAR_EXCLUDES = ["tmp", "cache", "log/journal", "lib/apt/lists", "lib/systemd/coredump"] as const;

export const PersistenceConfigSchema = z.strictObject({
  /**
   * Device path of the persistent partition's filesystem. Default: `/dev/disk/by-slot/persistent` when the image's
   * udev rules make that link (HEAD rpi-image-gen, or it exists already), else `/dev/disk/by-label/<label>`.
   */
  device: z.string().startsWith("/").optional(),
  /** Filesystem label used when no by-slot link is made (Oct-2025 rpi-image-gen images). */
  label: z.string().min(1).default("PERSISTENT"),
  /** Slot whose /var is bound when no source can tell which system booted (rpi-image-gen's SLOT_FALLBACK). */
  fallbackSlot: z.enum(["system_a", "system_b"]).default("system_a"),
  /** What a newly committed slot's /var becomes (applied on the boot after the commit). */
  freshVar: z
    .strictObject({
      /**
       * keep: the slot keeps its old /var (rpi-image-gen's behaviour); reseed: a copy of the seed directory shipped
       * inside the new system; copy-from-previous: a copy of the previous slot's /var without volatile parts.
       */
      policy: z.enum(["keep", "reseed", "copy-from-previous"]).default("keep"),
      /** Seed directory inside the committed system (device path on the running, new root). */
      seed: z.string().startsWith("/").default("/usr/lib/ota-agent/var-seed"),
      /** copy-from-previous: paths under /var whose contents are not copied (the directories themselves are). */
      exclude: z.array(z.string().min(1)).default([...DEFAULT_VAR_EXCLUDES]),
    })
    .prefault({}),
});

export type PersistenceConfig = z.output<typeof PersistenceConfigSchema>;
export type PersistenceConfigInput = z.input<typeof PersistenceConfigSchema>;
