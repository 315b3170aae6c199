// Sync: accept a deployment — Sync scripts, and refuse it while the device runs an uncommitted trial.
import { otherSlot } from "../../capabilities/slot-resolver.js";
import { OtaError } from "../../errors/index.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class SyncState extends DeploymentState {
  readonly name = "Sync" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const daemon = !ctx.record.standalone;
    if (daemon) {
      // Mender runs Idle_Leave (errors ignored) as the daemon leaves Idle for a sync.
      await ctx.runScripts("Idle", "Leave");
      const err = await ctx.runScripts("Sync", "Enter");
      if (err) return this.failed(ctx, err);
    }
    const bootloader = ctx.services.bootloader;
    if (bootloader) {
      try {
        const boot = await bootloader.state();
        // Installing now would overwrite the other slot, which is the only known-good one during a trial. (A trial
        // boot that was committed is fine: its device-tree tryboot flag stays 1 until the next boot.)
        if (boot.booted !== boot.committed) {
          throw new OtaError(
            "OTA_ERR_STATE_UNCOMMITTED_TRIAL",
            `booted slot ${boot.booted} is not the committed slot ${boot.committed}${boot.trial ? " (trial boot)" : ""}: refusing to install`,
            { details: { booted: boot.booted, committed: boot.committed, trial: boot.trial } },
          );
        }
        ctx.record.slots = { from: boot.booted, to: otherSlot(boot.booted) };
      } catch (e) {
        return this.failed(ctx, e);
      }
    }
    if (daemon) {
      const err = await ctx.runScripts("Sync", "Leave");
      if (err) return this.failed(ctx, err);
    }
    ctx.note("info", `deployment ${ctx.record.deployment.id} accepted: ${ctx.record.deployment.uri}`, { event: EVENTS.installStarted });
    return "Success";
  }

  /** Mender: a failed sync runs Sync_Error (every script, results ignored); a standalone install runs no Sync scripts. */
  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    if (!ctx.record.standalone) await ctx.runErrorScripts("Sync");
    return "Failure";
  }
}
