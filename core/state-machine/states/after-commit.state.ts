// AfterCommit: past the point of no return — ArtifactCommit_Leave scripts, then on to Cleanup (never a rollback).
import type { DeploymentRecord } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { PersistedState } from "../state.js";

export class AfterCommitState extends PersistedState {
  readonly name = "AfterCommit" as const;
  /** ArtifactCommit_Leave is repeated after a power cut (Mender: scripts must be idempotent). */
  readonly resumeTo = "AfterCommit" as const;

  protected override beforeSave(record: DeploymentRecord): void {
    record.progress.committed = true;
  }

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    await this.postCommitTasks(ctx);
    const err = await ctx.runScripts(this.name, "Leave");
    if (err) {
      // Mender: no rollback any more; the deployment fails and the artifact is marked _INCONSISTENT.
      ctx.fail(this.name, err);
      await ctx.runErrorScripts(this.name);
      return "Failure";
    }
    return "Success";
  }

  /** BootTasks of the post-commit phase; idempotent (re-run after a power cut), failures logged, never fatal. */
  private async postCommitTasks(ctx: DeploymentContext): Promise<void> {
    const slots = ctx.record.slots;
    if (!slots) return;
    for (const task of ctx.services.postCommitTasks) {
      try {
        await task.run({
          phase: "post-commit",
          slot: slots.to,
          committed: { slot: slots.to, previous: slots.from, deploymentId: ctx.record.deployment.id },
          signal: ctx.signal,
        });
      } catch (e) {
        rethrowIfHalt(e);
        ctx.note("warn", `post-commit task ${task.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
