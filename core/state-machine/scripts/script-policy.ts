// Which scripts each state runs and what their failure means: Mender's rules as one short table, not thirty classes.
import type { StateName } from "../events.js";

/**
 * - `fail`: an Enter/Leave failure runs the state's Error scripts and fails the state (its Failure edge);
 * - `ignore`: failures are logged only (Idle);
 * - `rollback-failed`: the flow goes on, but the rollback counts as failed (artifact becomes _INCONSISTENT).
 * `source`: rootfs scripts (stateScripts.dir) run for Idle/Sync/Download; artifact scripts (saved by Download) for
 * the Artifact* states — the new artifact's scripts from ArtifactInstall on, as in Mender.
 */
export interface ScriptPolicy {
  scriptState: string;
  source: "rootfs" | "artifact";
  onError: "fail" | "ignore" | "rollback-failed";
}

const policy = (scriptState: string, source: ScriptPolicy["source"], onError: ScriptPolicy["onError"]): ScriptPolicy => ({
  scriptState,
  source,
  onError,
});

/** Script points per machine state (states absent here run no scripts). */
export const SCRIPT_POLICIES: Partial<Record<StateName, ScriptPolicy>> = {
  Idle: policy("Idle", "rootfs", "ignore"),
  Sync: policy("Sync", "rootfs", "fail"),
  Download: policy("Download", "rootfs", "fail"),
  ArtifactInstall: policy("ArtifactInstall", "artifact", "fail"),
  ArtifactReboot: policy("ArtifactReboot", "artifact", "fail"),
  ArtifactVerifyReboot: policy("ArtifactReboot", "artifact", "fail"),
  ArtifactCommit: policy("ArtifactCommit", "artifact", "fail"),
  AfterCommit: policy("ArtifactCommit", "artifact", "fail"),
  ArtifactRollback: policy("ArtifactRollback", "artifact", "rollback-failed"),
  ArtifactRollbackReboot: policy("ArtifactRollbackReboot", "artifact", "rollback-failed"),
  ArtifactVerifyRollbackReboot: policy("ArtifactRollbackReboot", "artifact", "rollback-failed"),
  ArtifactFailure: policy("ArtifactFailure", "artifact", "rollback-failed"),
};
