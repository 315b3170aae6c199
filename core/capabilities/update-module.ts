// UpdateModule: the Mender Update Module v3 states for one payload type (in-process or an external executable).
import type { Readable } from "node:stream";
import type { Logger } from "../logging/logger.js";

/** One file of a payload, streamed straight from the artifact: consume it fully (or destroy it) before the next. */
export interface PayloadFile {
  /** Name inside the payload ("rootfs.ext4", "boot", "system"). */
  name: string;
  size: number;
  stream: Readable;
  /**
   * The same bytes pulled into the caller's buffer, when the artifact offers it (use this or `stream`, not both):
   * 0 after the last byte; rejects instead of ending when the payload checksum does not match. No per-chunk
   * allocation, and an uncompressed payload read from a file arrives with no copy at all.
   */
  read?(buffer: Buffer, offset: number, length: number): Promise<number>;
}

/** What a module knows about the artifact and deployment it is working on. */
export interface ModuleContext {
  deploymentId: string;
  artifactName: string;
  payloadType: string;
  /** Index of this payload in the artifact (0 for the usual single payload). */
  payloadIndex: number;
  /** header-info, type-info, meta-data and provides as JSON-able objects (for module header/ files). */
  header: {
    headerInfo: Record<string, unknown>;
    typeInfo: Record<string, unknown>;
    metaData: Record<string, unknown>;
  };
  /** Provides of the currently installed artifact. */
  currentProvides: Record<string, string>;
  /** Device type of this device (for module trees' current_device_type), when known. */
  currentDeviceType?: string;
  /** A private work directory that survives reboots for this deployment; removed at Cleanup. */
  workDir: string;
  log: Logger;
  signal: AbortSignal;
  /** Report bytes written for progress; cheap to call often. */
  progress?: (doneBytes: number, totalBytes?: number) => void;
}

export type RebootNeed = "No" | "Yes" | "Automatic";

/**
 * Protocol states in execution order. Each throws OTA_ERR_MODULE_* on failure (UpdateModuleError-like details:
 * state, exit code, last stderr lines). State names match Mender's exactly.
 */
export interface UpdateModule {
  /** The artifact payload type this module installs ("rpi-ab-slot", "rootfs-image", "single-file"). */
  readonly payloadType: string;
  /** Receives every payload file in order. Must not arm anything. */
  download(ctx: ModuleContext, files: AsyncIterable<PayloadFile>): Promise<void>;
  artifactInstall(ctx: ModuleContext): Promise<void>;
  /** Whether ArtifactReboot is needed ("Automatic": the module reboots by itself). A query: idempotent. */
  needsArtifactReboot(ctx: ModuleContext): Promise<RebootNeed>;
  /** Reboot into the new software (for slot modules: the trial reboot). Only called when NeedsArtifactReboot=Yes. */
  artifactReboot(ctx: ModuleContext): Promise<void>;
  /** After the reboot: is the new software running? Throws when not. */
  artifactVerifyReboot(ctx: ModuleContext): Promise<void>;
  /** Makes the new software permanent. Idempotent: it is repeated after a power cut during commit. */
  artifactCommit(ctx: ModuleContext): Promise<void>;
  /** Whether ArtifactRollback can restore the previous software. A query: idempotent. */
  supportsRollback(ctx: ModuleContext): Promise<boolean>;
  /** Restores the previous software (for slot modules: disarm, so the next boot is the committed slot). Idempotent. */
  artifactRollback(ctx: ModuleContext): Promise<void>;
  /** Reboots back into the previous software after a rollback that needs it. */
  artifactRollbackReboot(ctx: ModuleContext): Promise<void>;
  /** After the rollback reboot: is the previous software running? Throws when not. */
  artifactVerifyRollbackReboot(ctx: ModuleContext): Promise<void>;
  /** Runs on every failure path after install began; must not throw for "nothing to undo". Idempotent. */
  artifactFailure(ctx: ModuleContext): Promise<void>;
  /** Removes temporary state (the work dir); always the last state. Idempotent. */
  cleanup(ctx: ModuleContext): Promise<void>;
}
