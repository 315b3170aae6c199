// The install pipeline's request, progress and result shapes, shared with the state machine that persists them.
import type { InstalledState } from "../capabilities/deployment-server.js";
import type { Logger } from "../logging/logger.js";

/** Progress of one download: bytes of the artifact file read so far, and what the modules wrote. */
export interface InstallProgress {
  /** "download" while bytes flow; "done" once, after every payload was handed over and verified. */
  phase: "download" | "done";
  /** Bytes of the artifact file read so far. */
  bytes: number;
  /** Size of the artifact file when known. */
  total?: number;
  /** Bytes per second over the recent window. */
  rate: number;
  /** How many times the source resumed a dropped connection. */
  resumes: number;
  /** The payload being written, when one is. */
  payloadIndex?: number;
}

/** One Download request: everything the pipeline needs; nothing global. */
export interface DownloadRequest {
  deploymentId: string;
  /** File path (device path), file://, http:// or https:// URI (or any scheme a source plugin opens). */
  uri: string;
  /** Expected SHA-256 (hex) of the whole downloaded file; checked as it streams, a mismatch fails at the end. */
  sha256?: string;
  /** Extra request headers for the download (never logged). */
  headers?: Record<string, string>;
  /** Device path of this deployment's private work dir (created if missing; survives reboots). */
  workDir: string;
  /** What runs now: device type, artifact name and provides for the depends checks. */
  installed: InstalledState;
  signal: AbortSignal;
  log: Logger;
  onProgress?(progress: InstallProgress): void;
  /** Artifact name to use for an rpi-image-gen update.tar.zst, which carries none (default: the file name). */
  name?: string;
}

/** One payload of the artifact, as the update modules see it. */
export interface DownloadedPayload {
  index: number;
  type: string;
  typeInfo: Record<string, unknown>;
  metaData: Record<string, unknown>;
}

/**
 * What a finished Download leaves for the later states. JSON-serialisable: the state machine persists it and
 * rebuilds module contexts from it after a reboot (see module-context.ts).
 */
export interface DownloadResult {
  artifactName: string;
  artifactGroup?: string;
  deviceTypes: string[];
  /** Every provide the artifact sets (header-info and payload type-info merged), artifact_name included. */
  provides: Record<string, string>;
  clearsProvides: string[];
  /** Every depends of the artifact (artifact_name/device_type lists as arrays, the rest as strings). */
  depends: Record<string, string | string[]>;
  payloads: DownloadedPayload[];
  /** header-info as read (for module trees); absent for rpi-update. */
  headerInfo?: Record<string, unknown>;
  /** Device path of the saved state scripts (ArtifactInstall_Enter_00 ...), when the artifact had any. */
  scriptsDir?: string;
  /** Which verify key (its configured path) checked the signature; absent when unsigned. */
  signedBy?: string;
  /** Bytes of the artifact file read. */
  bytesRead: number;
  /**
   * SHA-256 of the whole artifact file as read, checked against `DownloadRequest.sha256`; "" when no expected hash
   * was given (then it is not computed: the manifest hashes already cover every payload byte).
   */
  sha256: string;
  format: "mender" | "rpi-update";
}
