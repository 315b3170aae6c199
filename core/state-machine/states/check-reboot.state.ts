// CheckReboot: asks every module whether it needs a reboot (NeedsArtifactReboot) and whether we may reboot now.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";

export class CheckRebootState extends DeploymentState {
  readonly name = "CheckReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    let needed = false;
    for (const { module, ctx: mctx } of ctx.modules()) {
      if ((await module.needsArtifactReboot(mctx)) !== "No") needed = true;
    }
    if (!needed) return "NothingToDo";
    // Standalone `install` without --reboot: armed and waiting for `ota-agent resume` (or the daemon) to reboot.
    if (!ctx.record.rebootAllowed) return "Deferred";
    return "Success";
  }
}
