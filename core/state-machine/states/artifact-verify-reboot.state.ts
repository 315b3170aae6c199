// ArtifactVerifyReboot: after the reboot, is the new software really running (the expected slot, as a trial)?
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class ArtifactVerifyRebootState extends PersistedState {
  readonly name = "ArtifactVerifyReboot" as const;
  /** Interrupted while verifying: the trial is over (one-shot), so unwind. */
  readonly resumeTo = "CheckRollback" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    try {
      for (const { module, ctx: mctx } of ctx.modules()) await module.artifactVerifyReboot(mctx);
    } catch (e) {
      // e.g. the firmware fell back to the committed slot after a panic or a watchdog reset of a hung trial
      const failure = await this.failed(ctx, e);
      await this.explain(ctx);
      return failure;
    }
    const err = await ctx.runScripts(this.name, "Leave");
    if (err) return this.failed(ctx, err);
    ctx.note("info", "running the new software as a trial", { event: EVENTS.deploymentTrialVerified });
    return "Success";
  }

  /**
   * Tells the operator which of the two tryboot outcomes this was (peers.md §5 pitfall 1): the firmware took the
   * tryboot flag but started the committed slot ("the trial never happened": `[tryboot]` did not name the new slot),
   * or no trial flag at all (the new system panicked or hung and was reset, or power was lost before it started;
   * the firmware cannot tell these apart, the one-shot flag is gone either way).
   */
  private async explain(ctx: DeploymentContext): Promise<void> {
    const slots = ctx.record.slots;
    const boot = await ctx.services.bootloader?.state().catch((err: unknown) => {
      rethrowIfHalt(err);
      return undefined;
    });
    if (!boot || !slots || boot.booted !== slots.from) return;
    ctx.note(
      "warn",
      boot.trial
        ? `the trial never happened: the firmware took the tryboot flag but started the committed slot ${boot.booted} ([tryboot] did not name slot ${slots.to})`
        : `the trial of slot ${slots.to} did not come up: it panicked or hung and was reset, or power was lost during it; the firmware started the committed slot ${boot.booted}`,
    );
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
