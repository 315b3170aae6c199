// ArtifactVerifyReboot: after the reboot, is the new software really running (the expected slot, as a trial)?
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactVerifyRebootState extends PersistedState {
  readonly name = "ArtifactVerifyReboot" as const;
  /** Interrupted while verifying: the trial is over (one-shot), so unwind. */
  readonly resumeTo = "CheckRollback" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    try {
      for (const { module, ctx: mctx } of ctx.modules()) await module.artifactVerifyReboot(mctx);
    } catch (e) {
      // e.g. the firmware fell back to the committed slot after a panic or a watchdog reset of a hung trial
      return this.failed(ctx, e);
    }
    const err = await ctx.runScripts(this.name, "Leave");
    if (err) return this.failed(ctx, err);
    ctx.note("info", "running the new software as a trial", { event: EVENTS.deploymentTrialVerified });
    return "Success";
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
