// StateLoop: the store counter stopped a loop; the deployment fails and its artifact is marked inconsistent.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class StateLoopState extends DeploymentState {
  readonly name = "StateLoop" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    ctx.record.tracking = "rollback-failed";
    ctx.note("error", `state loop detected after ${ctx.record.storeCount} saves; failing the deployment`, { event: EVENTS.deploymentStateLoop });
    return "Success";
  }
}
