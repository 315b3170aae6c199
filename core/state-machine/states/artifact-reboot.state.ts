// ArtifactReboot: reboots into the new software (for rpi-ab-slot: `reboot "0 tryboot"`); the machine stops here.
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactRebootState extends PersistedState {
  readonly name = "ArtifactReboot" as const;
  /** A power cut here counts as the reboot (Mender): the verify step finds out what booted. */
  readonly resumeTo = "ArtifactVerifyReboot" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (await ctx.reportOrAbort(this.name, "rebooting")) return "Aborted";
    const err = await ctx.runScripts(this.name, "Enter");
    if (err) return this.failed(ctx, err);
    if (await this.alreadyInTrial(ctx)) {
      // Rebooted into the trial by hand (`reboot "0 tryboot"`) while the deployment waited: go on verifying.
      ctx.note("info", "already running the trial; not rebooting again");
      return "Success";
    }
    // The agent is stopping (daemon SIGTERM, a halt-marked abort): never start a reboot on the way out. The record
    // says ArtifactReboot, so the next start verifies, finds the committed slot running and rolls back cleanly.
    if (ctx.signal.aborted) rethrowIfHalt(ctx.signal.reason);
    let automatic = false;
    try {
      // Durable before any reboot: a rollback must then leave the trial with a reboot of its own. (A power cut
      // before this point lands on the committed slot, which needs none.)
      ctx.record.progress.rebootStarted = true;
      ctx.note("info", "rebooting into the new software", { event: EVENTS.deploymentRebooting });
      await ctx.flush();
      for (const { module, ctx: mctx } of ctx.modules()) {
        const need = await module.needsArtifactReboot(mctx);
        if (need === "Yes") await module.artifactReboot(mctx);
        else if (need === "Automatic") automatic = true;
      }
      if (automatic) await ctx.platform.reboot();
    } catch (e) {
      return this.failed(ctx, e);
    }
    return "Deferred";
  }

  private async alreadyInTrial(ctx: DeploymentContext): Promise<boolean> {
    const bootloader = ctx.services.bootloader;
    const slots = ctx.record.slots;
    if (!bootloader || !slots) return false;
    const boot = await bootloader.state();
    return boot.trial && boot.booted === slots.to;
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
