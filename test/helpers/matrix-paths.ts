// Test helper: the stretches of deployment path the power-cut matrices share, for each to spell out its exact path.

/**
 * The stretch of path every matrix recipe passes before the trial boot decides its fate: the persisted states and
 * the script points (without `_01`). Each matrix spells out the rest of its own path after these.
 */
export const PERSISTED_TO_TRIAL: readonly string[] = ["Download", "ArtifactInstall", "ArtifactReboot", "ArtifactVerifyReboot"];
export const SCRIPT_POINTS_TO_TRIAL: readonly string[] = [
  "Idle_Leave",
  "Sync_Enter",
  "Sync_Leave",
  "Download_Enter",
  "Download_Leave",
  "ArtifactInstall_Enter",
  "ArtifactInstall_Leave",
  "ArtifactReboot_Enter",
  "ArtifactReboot_Leave",
];
/** The persisted states of a rollback out of the trial, to the end of the deployment. */
export const PERSISTED_ROLLBACK_TO_END: readonly string[] = [
  "ArtifactRollback",
  "ArtifactRollbackReboot",
  "ArtifactVerifyRollbackReboot",
  "ArtifactFailure",
  "Cleanup",
  "UpdateStatusReport",
];
