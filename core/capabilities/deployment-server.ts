// DeploymentServer: one fleet server's device protocol — authenticate, next deployment, status, log, inventory.

/** What the device runs now; servers use it to decide what to offer. */
export interface InstalledState {
  deviceType: string;
  artifactName: string;
  /** All provides of the installed artifact (artifact_name, rootfs-image.version, ...). */
  provides: Record<string, string>;
}

/** Server-side policy for one deployment (hawkBit download/update modes, maintenance windows). */
export interface DeploymentPolicy {
  download: "skip" | "attempt" | "forced";
  update: "skip" | "attempt" | "forced";
  /** hawkBit maintenanceWindow: "available" = install now, "unavailable" = download only. */
  maintenanceWindow?: "available" | "unavailable";
}

/** A deployment the server wants on this device. */
export interface Deployment {
  /** Server's id (Mender deployment id, hawkBit action id). */
  id: string;
  artifactName: string;
  /** Where to fetch the artifact (may be presigned: never add credentials to it). */
  uri: string;
  /** Expected SHA-256 of the whole downloaded file, when the server gives one. */
  sha256?: string;
  size?: number;
  policy: DeploymentPolicy;
  /** Which server plugin produced it. */
  server: string;
  /** Protocol-specific leftovers the plugin needs again (hawkBit chunk links...). */
  extra?: Record<string, unknown>;
}

/** "No update" is a value, not an error. */
export interface NothingToDo {
  kind: "nothing";
  /** Server's requested next poll delay in ms, when it gives one (hawkBit `sleep`). */
  retryAfterMs?: number;
}

/** Mender's deployment status names; hawkBit maps them onto its feedback. */
export type DeploymentStatus =
  | "downloading"
  | "pause_before_installing"
  | "installing"
  | "pause_before_rebooting"
  | "rebooting"
  | "pause_before_committing"
  | "success"
  | "failure"
  | "already-installed";

export interface StatusReport {
  status: DeploymentStatus;
  /** Free text shown in the server UI (Mender `substate`, hawkBit details). */
  substate?: string;
  /** 0..100 for progress feedback (rate-limited by the plugin). */
  progress?: number;
  /**
   * Let the plugin retry transient failures (network, 5xx, 429) with the server's own backoff until it answers or
   * the backoff gives up (Mender's RetryThenFail: the report just before commit and the final one). Default false:
   * one attempt, the caller decides about retries.
   */
  critical?: boolean;
}

/** A server's polling cadence and retry bounds (Mender: mender.conf intervals; hawkBit: the server's `sleep`). */
export interface ServerPollPolicy {
  updatePollIntervalMs: number;
  inventoryPollIntervalMs: number;
  /** Backoff cap after failures. */
  retryPollIntervalMs: number;
  /** 0 = the backoff decides when to give up; N > 0 = at most N tries. */
  retryPollCount: number;
}

/** One deployment log line as Mender's log upload wants it. */
export interface DeploymentLogLine {
  timestamp: string;
  level: string;
  message: string;
}

/**
 * A fleet server client. Errors: OTA_ERR_SERVER_* (unreachable, unauthorized, bad reply).
 * `reportStatus` resolves "aborted" when the server says the deployment was cancelled (Mender 409, hawkBit
 * cancelAction); the caller then takes the failure/cleanup path.
 */
export interface DeploymentServer {
  /** The plugin-facing name ("mender", "hawkbit"), recorded in Deployment.server and in logs. */
  readonly name: string;
  /** Ensures credentials; idempotent (a valid token is kept). */
  authenticate(signal?: AbortSignal): Promise<void>;
  /**
   * Asks for the next deployment for a device running `installed`. Returns the deployment, or NothingToDo (a value,
   * not an error) when there is none. Read-only on the server side: asking twice returns the same deployment.
   * Throws OTA_ERR_SERVER_* (UNREACHABLE, TIMEOUT, UNAUTHORIZED, STATUS, RATE_LIMITED, BAD_REPLY).
   */
  nextDeployment(installed: InstalledState, signal?: AbortSignal): Promise<Deployment | NothingToDo>;
  /**
   * Reports progress or the outcome of `deployment`. Resolves "aborted" when the server cancelled it. Idempotent:
   * repeating a report (after a power cut, say) is harmless. Throws OTA_ERR_SERVER_*.
   */
  reportStatus(deployment: Deployment, report: StatusReport, signal?: AbortSignal): Promise<"ok" | "aborted">;
  /** Uploads the deployment log (on failure). Idempotent: a repeat replaces the log. Throws OTA_ERR_SERVER_*. */
  uploadLog(deployment: Deployment, lines: readonly DeploymentLogLine[], signal?: AbortSignal): Promise<void>;
  /** Sends the device's inventory attributes, replacing the previous set. Idempotent. Throws OTA_ERR_SERVER_*. */
  sendInventory(attributes: Record<string, string | string[]>, signal?: AbortSignal): Promise<void>;
  /**
   * Forget cached credentials so the next request authenticates afresh (Mender drops its token right before the
   * commit report, so the new software proves it can log in). Optional; idempotent.
   */
  renewCredentials?(): void;
  /** Headers the artifact download needs (none for presigned URLs: never the Authorization header there). */
  downloadHeaders?(deployment: Deployment): Record<string, string>;
  /** The cadence the scheduler should poll this server with. */
  pollPolicy?(): ServerPollPolicy;
  /**
   * Delay before the next try after `failures` consecutive failures, the last being `error`: a server-given
   * Retry-After first, then the backoff, then `regularMs` once the backoff gives up.
   */
  retryDelayMs?(error: unknown, failures: number, regularMs: number): number;
}
