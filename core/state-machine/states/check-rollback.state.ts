// CheckRollback: can every module undo its install (SupportsRollback)? If not, straight to ArtifactFailure.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { trackRollbackStarted } from "../outcome-tracker.js";
import { DeploymentState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class CheckRollbackState extends DeploymentState {
  readonly name = "CheckRollback" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    for (const { module, ctx: mctx } of ctx.modules()) {
      if (!(await module.supportsRollback(mctx))) {
        ctx.note("warn", `module ${module.payloadType} cannot roll back: the artifact will be marked inconsistent`);
        return "NothingToDo";
      }
    }
    ctx.record.tracking = trackRollbackStarted(ctx.record.tracking);
    ctx.note("info", "rolling back", { event: EVENTS.rollbackStarted });
    return "Success";
  }
}
