// HealthCheck: may this trial boot be committed?

export interface HealthResult {
  ok: boolean;
  /** Why not, for the deployment log ("unit nginx.service is failed"). */
  reason?: string;
}

/**
 * Run in the trial boot before commit, all of them, each within the deadline the signal carries.
 * A throw, a timeout or `ok: false` means rollback. Must not change the system. Idempotent.
 */
export interface HealthCheck {
  /** Shown in the deployment log with the result ("systemd", "script:10-network"). */
  readonly name: string;
  check(signal: AbortSignal): Promise<HealthResult>;
}
