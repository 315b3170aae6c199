// ArtifactVerifyRollbackReboot: are we back on the previously committed software? If not, reboot again.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactVerifyRollbackRebootState extends PersistedState {
  readonly name = "ArtifactVerifyRollbackReboot" as const;
  readonly resumeTo = "ArtifactVerifyRollbackReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    try {
      for (const { module, ctx: mctx } of ctx.modules()) await module.artifactVerifyRollbackReboot(mctx);
    } catch (e) {
      rethrowIfHalt(e);
      // Not back yet: reboot again; the store counter ends a loop that never gets there.
      ctx.note("warn", `not back on the committed software yet: ${e instanceof Error ? e.message : String(e)}`);
      return "Failure";
    }
    // Mender: an ArtifactRollbackReboot_Leave failure runs ArtifactRollbackReboot_Error; the flow goes on and the
    // rollback counts as failed (runScripts has advanced the tracker).
    if (await ctx.runScripts(this.name, "Leave")) await ctx.runErrorScripts(this.name);
    ctx.note("info", "back on the committed software", { event: EVENTS.deploymentRolledBack });
    return "Success";
  }
}
