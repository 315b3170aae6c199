// HealthCheck: may this trial be committed? Every health-check plugin and health.d script must say yes in time.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class HealthCheckState extends DeploymentState {
  readonly name = "HealthCheck" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const err = await ctx.services.health.check(ctx.signal, (level, message) => ctx.note(level, message));
    if (err) {
      ctx.fail(this.name, err);
      return "Failure";
    }
    ctx.note("info", "health checks passed", { event: EVENTS.deploymentHealthy });
    return "Success";
  }
}
