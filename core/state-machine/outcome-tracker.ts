// Mender's deployment tracking as pure functions: which failures happened, and what the deployment's result is.
import type { DeploymentRecord, DeploymentResult, Tracking } from "./deployment-record.js";

/** A failure: the first moves to "failed"; any failure after a rollback started means the rollback failed. */
export function trackFailure(t: Tracking): Tracking {
  if (t === "no-failures") return "failed";
  if (t === "rollback-attempted") return "rollback-failed";
  return t;
}

/** A rollback starts (the modules support it). */
export function trackRollbackStarted(t: Tracking): Tracking {
  return t === "failed" || t === "no-failures" ? "rollback-attempted" : t;
}

/**
 * The result: success only when committed with no failure; a failure before ArtifactInstall changed nothing
 * ("failure"); after it, a clean rollback is "rolled-back" and anything else "inconsistent".
 */
export function resultOf(record: Pick<DeploymentRecord, "tracking" | "progress">): DeploymentResult {
  if (record.tracking === "no-failures" && record.progress.committed) return "success";
  if (!record.progress.installStarted) return "failure";
  if (record.tracking === "rollback-attempted") return "rolled-back";
  return "inconsistent";
}
