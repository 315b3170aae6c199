// AwaitReboot: the trial is armed and the operator reboots later (`ota-agent resume` performs the trial reboot).
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class AwaitRebootState extends PersistedState {
  readonly name = "AwaitReboot" as const;
  /** A resume performs the trial reboot (a plain reboot boots the committed slot and changes nothing). */
  readonly resumeTo = "ArtifactReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    ctx.note("info", "installed and armed; the trial reboot waits for `ota-agent resume`", { event: EVENTS.deploymentRebootPending });
    return "Deferred";
  }
}
