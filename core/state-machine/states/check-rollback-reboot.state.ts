// CheckRollbackReboot: a rollback reboot is needed only when a module asks for one AND the device may be in the trial.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";

/**
 * Deviations from Mender (which re-queries NeedsArtifactReboot only), each saving a reboot: if ArtifactReboot was
 * never entered, the device still runs the software it started with; and if the bootloader shows the slot we
 * started from booted normally as the committed one (the firmware already fell back after a panic, a hang or a
 * power cut in the trial), there is no trial left to leave.
 */
export class CheckRollbackRebootState extends DeploymentState {
  readonly name = "CheckRollbackReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (!ctx.record.progress.rebootStarted) return "NothingToDo";
    const bootloader = ctx.services.bootloader;
    const slots = ctx.record.slots;
    if (bootloader && slots) {
      const boot = await bootloader.state();
      if (!boot.trial && boot.booted === slots.from && boot.committed === slots.from) {
        ctx.note("info", `already back on committed slot ${slots.from}: no rollback reboot needed`);
        return "NothingToDo";
      }
    }
    for (const { module, ctx: mctx } of ctx.modules()) {
      if ((await module.needsArtifactReboot(mctx)) !== "No") return "Success";
    }
    return "NothingToDo";
  }
}
