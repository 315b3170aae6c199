// ArtifactRollbackReboot: reboots back to the committed software (for tryboot: a plain reboot); errors ignored.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";
import { rethrowIfHalt } from "../halt.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactRollbackRebootState extends PersistedState {
  readonly name = "ArtifactRollbackReboot" as const;
  /** A power cut here counts as the reboot. */
  readonly resumeTo = "ArtifactVerifyRollbackReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    await ctx.runScripts(this.name, "Enter");
    try {
      let automatic = false;
      for (const { module, ctx: mctx } of ctx.modules()) {
        const need = await module.needsArtifactReboot(mctx);
        if (need === "Yes") await module.artifactRollbackReboot(mctx);
        else if (need === "Automatic") automatic = true;
      }
      ctx.note("info", "rebooting back to the committed software", { event: EVENTS.deploymentRollbackRebooting });
      await ctx.flush();
      if (automatic) await ctx.platform.reboot();
    } catch (e) {
      rethrowIfHalt(e);
      // Mender ignores errors here; verifying tells whether we are back, and reboots again if not (loop-bounded).
      ctx.note("warn", `rollback reboot failed: ${e instanceof Error ? e.message : String(e)}`);
      return "Failure";
    }
    return "Deferred";
  }
}
