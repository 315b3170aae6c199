// ArtifactCommit: makes the new software permanent (for rpi-ab-slot: autoboot.txt [all] = the new slot).
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactCommitState extends PersistedState {
  readonly name = "ArtifactCommit" as const;
  /** Interrupted: did the commit land? CheckCommit looks at the boot state and decides success or rollback. */
  readonly resumeTo = "CheckCommit" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    // The new software must reach its server before it is made permanent (Mender: fresh credentials, then a report
    // that has to get through); a trial that cannot is rolled back.
    ctx.options.server?.renewCredentials?.();
    const reported = await ctx.reportCritical(this.name, "installing");
    if (reported === "aborted") return "Aborted";
    if (reported === "failed") {
      await ctx.runErrorScripts(this.name);
      return "Failure";
    }
    const err = await ctx.runScripts(this.name, "Enter");
    if (err) return this.failed(ctx, err);
    try {
      for (const { module, ctx: mctx } of ctx.modules()) await module.artifactCommit(mctx);
    } catch (e) {
      return this.failed(ctx, e);
    }
    ctx.record.progress.committed = true;
    ctx.note("info", `committed ${ctx.record.download?.artifactName ?? ""}`, { event: EVENTS.commitDone });
    return "Success";
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
