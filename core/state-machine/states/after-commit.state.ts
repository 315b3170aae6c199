// AfterCommit: past the point of no return — ArtifactCommit_Leave scripts, then on to Cleanup (never a rollback).
import type { DeploymentRecord } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";

export class AfterCommitState extends PersistedState {
  readonly name = "AfterCommit" as const;
  /** ArtifactCommit_Leave is repeated after a power cut (Mender: scripts must be idempotent). */
  readonly resumeTo = "AfterCommit" as const;

  protected override beforeSave(record: DeploymentRecord): void {
    record.progress.committed = true;
  }

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const err = await ctx.runScripts(this.name, "Leave");
    if (err) {
      // Mender: no rollback any more; the deployment fails and the artifact is marked _INCONSISTENT.
      ctx.fail(this.name, err);
      await ctx.runErrorScripts(this.name);
      return "Failure";
    }
    return "Success";
  }
}
