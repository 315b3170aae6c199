// Cleanup: stores the final provides (in the same write as the state), lets modules clean up, removes the work dir.
import type { DeploymentRecord } from "../deployment-record.js";
import { RECORD_KEYS } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { resultOf } from "../outcome-tracker.js";
import { providesAfterSuccess, providesInconsistent } from "../provides.js";
import { PersistedState } from "../state.js";

export class CleanupState extends PersistedState {
  readonly name = "Cleanup" as const;
  readonly resumeTo = "Cleanup" as const;
  protected override readonly continueOnSaveFailure = true;

  /** The result and the provides are decided here, once, and land in the record with the state name. */
  private decide(ctx: DeploymentContext, record: DeploymentRecord): void {
    if (record.result) return;
    record.result = resultOf(record);
    const download = record.download;
    if (record.result === "success" && download) record.finalProvides = providesAfterSuccess(ctx.installed, download);
    else if (record.result === "inconsistent") {
      const name = download?.artifactName ?? record.deployment.artifactName;
      record.finalProvides = providesInconsistent(ctx.installed, name, download?.artifactGroup);
    }
  }

  override async onEnter(ctx: DeploymentContext): Promise<StateEvent> {
    this.decide(ctx, ctx.record);
    return super.onEnter(ctx);
  }

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const record = ctx.record;
    // Rewritten on every resume: idempotent, and the record (saved first) is what makes it "atomic".
    if (record.finalProvides) await ctx.services.store.write(RECORD_KEYS.provides, record.finalProvides);
    for (const { module, ctx: mctx } of record.abandoned ? [] : safeModules(ctx)) {
      try {
        await module.cleanup(mctx);
      } catch (e) {
        rethrowIfHalt(e);
        ctx.note("warn", `cleanup of ${module.payloadType}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await ctx.platform.fs.rm(record.workDir, { recursive: true, force: true });
    return "Success";
  }
}

function safeModules(ctx: DeploymentContext): ReturnType<DeploymentContext["modules"]> {
  try {
    return ctx.modules();
  } catch (e) {
    rethrowIfHalt(e);
    ctx.note("warn", `cleanup: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  }
}
