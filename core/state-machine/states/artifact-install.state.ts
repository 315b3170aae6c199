// ArtifactInstall: each payload's module activates what Download wrote (for rpi-ab-slot: arm the trial).
import type { DeploymentRecord } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactInstallState extends PersistedState {
  readonly name = "ArtifactInstall" as const;
  /** Interrupted mid-install: something may be armed, so unwind. */
  readonly resumeTo = "CheckRollback" as const;

  protected override beforeSave(record: DeploymentRecord): void {
    record.progress.installStarted = true;
  }

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (await ctx.reportOrAbort(this.name, "installing")) {
      // Nothing activated yet: abort goes to Cleanup, not the rollback path (Mender).
      ctx.record.progress.installStarted = false;
      return "Aborted";
    }
    let err = await ctx.runScripts(this.name, "Enter");
    if (err) return this.failed(ctx, err);
    for (const { module, ctx: mctx } of ctx.modules()) {
      try {
        await module.artifactInstall(mctx);
      } catch (e) {
        return this.failed(ctx, e);
      }
    }
    err = await ctx.runScripts(this.name, "Leave");
    if (err) return this.failed(ctx, err);
    ctx.note("info", `installed ${ctx.record.download?.artifactName ?? ""}`, { event: EVENTS.deploymentInstalled });
    return "Success";
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
