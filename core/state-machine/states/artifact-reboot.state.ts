// ArtifactReboot: reboots into the new software (for rpi-ab-slot: `reboot "0 tryboot"`); the machine stops here.
import type { DeploymentRecord } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";

export class ArtifactRebootState extends PersistedState {
  readonly name = "ArtifactReboot" as const;
  /** A power cut here counts as the reboot (Mender): the verify step finds out what booted. */
  readonly resumeTo = "ArtifactVerifyReboot" as const;

  protected override beforeSave(record: DeploymentRecord): void {
    record.progress.rebootStarted = true;
  }

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (await ctx.reportOrAbort(this.name, "rebooting")) return "Aborted";
    const err = await ctx.runScripts(this.name, "Enter");
    if (err) return this.failed(ctx, err);
    let automatic = false;
    try {
      for (const { module, ctx: mctx } of ctx.modules()) {
        const need = await module.needsArtifactReboot(mctx);
        if (need === "Yes") await module.artifactReboot(mctx);
        else if (need === "Automatic") automatic = true;
      }
      ctx.note("info", "rebooting into the new software", { event: "deployment.rebooting" });
      await ctx.flush();
      if (automatic) await ctx.platform.reboot();
    } catch (e) {
      return this.failed(ctx, e);
    }
    return "Deferred";
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
