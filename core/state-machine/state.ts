// The two kinds of state: a plain state with one never-throwing onEnter, and a persisted one that saves first.
import { isOtaError } from "../errors/index.js";
import type { DeploymentRecord } from "./deployment-record.js";
import type { DeploymentContext } from "./deployment-context.js";
import type { StateEvent, StateName } from "./events.js";
import { rethrowIfHalt } from "./halt.js";

/**
 * A state does one thing and posts one event. `onEnter` never throws: any error is logged, recorded in the
 * deployment log and tracked, and becomes `Failure` — except a platform halt (reboot, power cut), which ends the
 * process on a device and must pass through.
 */
export abstract class DeploymentState {
  abstract readonly name: StateName;

  async onEnter(ctx: DeploymentContext): Promise<StateEvent> {
    try {
      return await this.enter(ctx);
    } catch (err) {
      rethrowIfHalt(err);
      ctx.fail(this.name, err);
      return "Failure";
    }
  }

  protected abstract enter(ctx: DeploymentContext): Promise<StateEvent>;
}

/**
 * A state that survives a power cut: `onEnter` saves the record as being in this state (and bumps the store
 * counter) BEFORE the state acts, then passes the checkpoint `state:<Name>:saved`. After a restart the machine
 * continues at `resumeTo` (see resume.ts). Failure-path states (`continueOnSaveFailure`) act even when the save
 * fails, so a loop or a full disk can still be cleaned up; the others post LoopDetected / Failure.
 */
export abstract class PersistedState extends DeploymentState {
  abstract readonly resumeTo: StateName;
  protected readonly continueOnSaveFailure: boolean = false;

  /** Changes that must land in the same write as the state name (flags, final provides). */
  protected beforeSave(_record: DeploymentRecord): void {}

  override async onEnter(ctx: DeploymentContext): Promise<StateEvent> {
    try {
      this.beforeSave(ctx.record);
      await ctx.save(this.name);
    } catch (err) {
      rethrowIfHalt(err);
      const loop = isOtaError(err, "OTA_ERR_STATE_LOOP");
      if (loop) ctx.record.tracking = "rollback-failed";
      if (!this.continueOnSaveFailure) {
        ctx.fail(this.name, err);
        return loop ? "LoopDetected" : "Failure";
      }
      ctx.note("warn", `${this.name}: state not saved, going on to clean up: ${err instanceof Error ? err.message : String(err)}`);
    }
    return super.onEnter(ctx);
  }
}
