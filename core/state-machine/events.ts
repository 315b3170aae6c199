// The deployment state machine's vocabulary: the state names and the few outcome events states post.

/** Every state of the deployment machine; Mender's names where Mender has the state. */
export const STATE_NAMES = [
  "Idle",
  "Sync",
  "Download",
  "ArtifactInstall",
  "CheckReboot",
  "AwaitReboot",
  "ArtifactReboot",
  "ArtifactVerifyReboot",
  "HealthCheck",
  "ArtifactCommit",
  "CheckCommit",
  "AfterCommit",
  "CheckRollback",
  "ArtifactRollback",
  "CheckRollbackReboot",
  "ArtifactRollbackReboot",
  "ArtifactVerifyRollbackReboot",
  "StateLoop",
  "ArtifactFailure",
  "Cleanup",
  "UpdateStatusReport",
] as const;

export type StateName = (typeof STATE_NAMES)[number];

/**
 * Outcomes, named by what happened, never by where to go next (the table decides that):
 * - Success / Failure: the state's work succeeded or failed;
 * - NothingToDo: a check found nothing to do (no reboot needed, no rollback reboot needed);
 * - Aborted: the server cancelled the deployment (Mender's 409);
 * - LoopDetected: the record's store counter passed the limit (OTA_ERR_STATE_LOOP);
 * - Deferred: the work continues after a reboot or a later `resume` (the machine stops here).
 */
export type StateEvent = "Success" | "Failure" | "NothingToDo" | "Aborted" | "LoopDetected" | "Deferred";

export function isStateName(value: unknown): value is StateName {
  return typeof value === "string" && (STATE_NAMES as readonly string[]).includes(value);
}
