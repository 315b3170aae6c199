// Idle: the end of a deployment (the machine stops here); runs Idle_Enter scripts for a server-driven deployment.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";

export class IdleState extends DeploymentState {
  readonly name = "Idle" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    // Idle scripts belong to the daemon's loop; a standalone install never runs them (as in Mender).
    if (!ctx.record.standalone) await ctx.runScripts("Idle", "Enter");
    return "Success";
  }
}
