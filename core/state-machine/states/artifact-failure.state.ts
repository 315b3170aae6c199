// ArtifactFailure: each module undoes side effects of a failed install (for rpi-ab-slot: disarm).
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { PersistedState } from "../state.js";

export class ArtifactFailureState extends PersistedState {
  readonly name = "ArtifactFailure" as const;
  readonly resumeTo = "ArtifactFailure" as const;
  protected override readonly continueOnSaveFailure = true;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (ctx.record.abandoned) {
      // Scripts or modules here never completed across many boots: only make a stray trial reboot harmless.
      ctx.note("error", "failure path abandoned after repeated interruptions: skipping scripts and module calls");
      await ctx.services.bootloader?.disarm();
      return "Success";
    }
    await ctx.runScripts(this.name, "Enter");
    for (const { module, ctx: mctx } of ctx.modules()) {
      try {
        await module.artifactFailure(mctx);
      } catch (e) {
        rethrowIfHalt(e);
        ctx.fail(this.name, e);
      }
    }
    await ctx.runScripts(this.name, "Leave");
    return "Success";
  }
}
