// UpdateStatusReport: the final status (and the log on failure) to the server, the last result, the record removed.
import { RECORD_KEYS, type LastResult } from "../deployment-record.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { rethrowIfHalt } from "../halt.js";
import { resultOf } from "../outcome-tracker.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class UpdateStatusReportState extends PersistedState {
  readonly name = "UpdateStatusReport" as const;
  readonly resumeTo = "UpdateStatusReport" as const;
  protected override readonly continueOnSaveFailure = true;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const record = ctx.record;
    const result = record.result ?? resultOf(record);
    record.result = result;
    const ok = result === "success";
    ctx.note(ok ? "info" : "error", `deployment ${record.deployment.id} finished: ${result}`, {
      event: ok ? EVENTS.installSucceeded : EVENTS.installFailed,
      result,
    });
    await ctx.report(ok ? "success" : "failure", {
      critical: true,
      ...(ok || !record.error ? {} : { substate: record.error.message }),
    });
    const server = ctx.options.server;
    if (!ok && server && !record.standalone) {
      try {
        await server.uploadLog(record.deployment, record.log, ctx.signal);
      } catch (e) {
        rethrowIfHalt(e);
        ctx.log.warn({ event: EVENTS.deploymentLogUploadFailed }, `log upload: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const last: LastResult = {
      schemaVersion: 1,
      deploymentId: record.deployment.id,
      artifactName: record.download?.artifactName ?? record.deployment.artifactName,
      result,
      finishedAt: new Date(ctx.platform.clock.now()).toISOString(),
    };
    if (record.error) last.error = record.error;
    await ctx.services.store.write(RECORD_KEYS.lastResult, last);
    await ctx.services.store.remove(RECORD_KEYS.deployment);
    return "Success";
  }
}
