// ArtifactRollback: each module restores the previous software (for rpi-ab-slot: disarm the trial).
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { PersistedState } from "../state.js";

export class ArtifactRollbackState extends PersistedState {
  readonly name = "ArtifactRollback" as const;
  /** Rolled back again after a power cut (module rollbacks are idempotent). */
  readonly resumeTo = "ArtifactRollback" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    await ctx.runScripts(this.name, "Enter");
    try {
      for (const { module, ctx: mctx } of ctx.modules()) await module.artifactRollback(mctx);
      // A record lost to corruption names no modules: at least make a stray trial reboot harmless.
      if (!ctx.record.download && ctx.services.bootloader) await ctx.services.bootloader.disarm();
    } catch (e) {
      ctx.fail(this.name, e);
      await ctx.runScripts(this.name, "Leave");
      return "Failure";
    }
    await ctx.runScripts(this.name, "Leave");
    return "Success";
  }
}
