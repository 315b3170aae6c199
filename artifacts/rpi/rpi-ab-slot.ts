// The `rpi-ab-slot` payload type: a module-image carrying the `boot` and `system` images of one Raspberry Pi A/B slot.
import { ArtifactError } from "../errors.js";
import type { WriteOptions, WriterFile } from "../writer/write-artifact.js";

/** Payload type name (also the update module's name). */
export const RPI_AB_SLOT_TYPE = "rpi-ab-slot";
/** The two files, in this order; each a raw filesystem image or an Android sparse image (detected by magic). */
export const RPI_AB_SLOT_FILES = ["boot", "system"] as const;
/** Provides keys identifying the slot content. */
export const RPI_AB_SLOT_PROVIDES = {
  version: "rpi-ab-slot.version",
  bootSha256: "rpi-ab-slot.boot.sha256",
  systemSha256: "rpi-ab-slot.system.sha256",
} as const;
/** What installing an rpi-ab-slot artifact clears from the stored provides. */
export const RPI_AB_SLOT_CLEARS = ["rpi-ab-slot.*", "rootfs-image.*"] as const;

/** Inputs for an rpi-ab-slot artifact beyond the common writer options. */
export interface RpiAbSlotInput extends Omit<WriteOptions, "kind" | "payloadType" | "files" | "providesFromFiles"> {
  /** Both files, named "boot" and "system" (any order; written in the order given). */
  files: Iterable<WriterFile> | AsyncIterable<WriterFile>;
}

/**
 * WriteOptions for an rpi-ab-slot artifact: type-info provides `rpi-ab-slot.version` (software version, default the
 * artifact name) and the SHA-256 of each file as carried (the manifest checksum); clears `rpi-ab-slot.*`,
 * `rootfs-image.*`. Mender's default `rootfs-image.rpi-ab-slot.version` is not written (the slot *is* the rootfs).
 */
export function rpiAbSlotWriteOptions(input: RpiAbSlotInput): WriteOptions {
  const { softwareVersion, clearsProvides, ...rest } = input;
  return {
    ...rest,
    kind: "module-image",
    payloadType: RPI_AB_SLOT_TYPE,
    noDefaultSoftwareVersion: true,
    noDefaultClearsProvides: true,
    clearsProvides: [...new Set([...(clearsProvides ?? []), ...RPI_AB_SLOT_CLEARS])],
    files: requireBootAndSystem(input.files),
    providesFromFiles: (files) => {
      const out: Record<string, string> = { [RPI_AB_SLOT_PROVIDES.version]: softwareVersion ?? input.name };
      for (const f of files) out[`rpi-ab-slot.${f.name}.sha256`] = f.sha256;
      return out;
    },
  };
}

async function* requireBootAndSystem(files: Iterable<WriterFile> | AsyncIterable<WriterFile>): AsyncGenerator<WriterFile> {
  const seen = new Set<string>();
  for await (const f of files) {
    if (!(RPI_AB_SLOT_FILES as readonly string[]).includes(f.name)) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `rpi-ab-slot carries only boot and system, not ${JSON.stringify(f.name)}`);
    }
    seen.add(f.name);
    yield f;
  }
  for (const name of RPI_AB_SLOT_FILES) {
    if (!seen.has(name)) throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `rpi-ab-slot needs a ${name} image`);
  }
}
