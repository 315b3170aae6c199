// CheckRollbackReboot: a rollback reboot is needed only when a module asks for one AND we rebooted for the update.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";

/**
 * Deviation from Mender (which re-queries NeedsArtifactReboot only): if ArtifactReboot was never entered, the
 * device still runs the software it started with, so rebooting would only cost time.
 */
export class CheckRollbackRebootState extends DeploymentState {
  readonly name = "CheckRollbackReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (!ctx.record.progress.rebootStarted) return "NothingToDo";
    for (const { module, ctx: mctx } of ctx.modules()) {
      if ((await module.needsArtifactReboot(mctx)) !== "No") return "Success";
    }
    return "NothingToDo";
  }
}
