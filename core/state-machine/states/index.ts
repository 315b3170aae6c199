// Every state of the deployment machine, one instance each, keyed by name.
import type { StateName } from "../events.js";
import type { DeploymentState } from "../state.js";
import { AfterCommitState } from "./after-commit.state.js";
import { ArtifactCommitState } from "./artifact-commit.state.js";
import { ArtifactFailureState } from "./artifact-failure.state.js";
import { ArtifactInstallState } from "./artifact-install.state.js";
import { ArtifactRebootState } from "./artifact-reboot.state.js";
import { ArtifactRollbackRebootState } from "./artifact-rollback-reboot.state.js";
import { ArtifactRollbackState } from "./artifact-rollback.state.js";
import { ArtifactVerifyRebootState } from "./artifact-verify-reboot.state.js";
import { ArtifactVerifyRollbackRebootState } from "./artifact-verify-rollback-reboot.state.js";
import { AwaitRebootState } from "./await-reboot.state.js";
import { CheckCommitState } from "./check-commit.state.js";
import { CheckRebootState } from "./check-reboot.state.js";
import { CheckRollbackRebootState } from "./check-rollback-reboot.state.js";
import { CheckRollbackState } from "./check-rollback.state.js";
import { CleanupState } from "./cleanup.state.js";
import { DownloadState } from "./download.state.js";
import { HealthCheckState } from "./health-check.state.js";
import { IdleState } from "./idle.state.js";
import { StateLoopState } from "./state-loop.state.js";
import { SyncState } from "./sync.state.js";
import { UpdateStatusReportState } from "./update-status-report.state.js";

/** States hold no data (the context does), so one set serves every deployment. */
export function createStates(): ReadonlyMap<StateName, DeploymentState> {
  const states: DeploymentState[] = [
    new IdleState(),
    new SyncState(),
    new DownloadState(),
    new ArtifactInstallState(),
    new CheckRebootState(),
    new AwaitRebootState(),
    new ArtifactRebootState(),
    new ArtifactVerifyRebootState(),
    new HealthCheckState(),
    new ArtifactCommitState(),
    new CheckCommitState(),
    new AfterCommitState(),
    new CheckRollbackState(),
    new ArtifactRollbackState(),
    new CheckRollbackRebootState(),
    new ArtifactRollbackRebootState(),
    new ArtifactVerifyRollbackRebootState(),
    new StateLoopState(),
    new ArtifactFailureState(),
    new CleanupState(),
    new UpdateStatusReportState(),
  ];
  return new Map(states.map((s) => [s.name, s]));
}
