// Download: stream, verify and write the artifact's payloads into the other slot through the install pipeline.
import { OtaError } from "../../errors/index.js";
import type { DownloadRequest } from "../../install/download-types.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { flattenProvides } from "../provides.js";
import { PersistedState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

export class DownloadState extends PersistedState {
  readonly name = "Download" as const;
  /** A download never resumes after a restart (as in Mender): the deployment fails and cleans up. */
  readonly resumeTo = "Cleanup" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    if (await ctx.reportOrAbort(this.name, "downloading")) return "Aborted";
    let err = await ctx.runScripts("Download", "Enter");
    if (err) return this.failed(ctx, err);

    const deployment = ctx.record.deployment;
    const request: DownloadRequest = {
      deploymentId: deployment.id,
      uri: deployment.uri,
      workDir: ctx.record.workDir,
      installed: {
        deviceType: ctx.services.deviceType ?? "",
        artifactName: ctx.installed.artifactName,
        provides: flattenProvides(ctx.installed),
      },
      signal: ctx.signal,
      log: ctx.log,
    };
    if (deployment.sha256) request.sha256 = deployment.sha256;
    const headers = ctx.options.server?.downloadHeaders?.(deployment);
    if (headers) request.headers = headers;
    if (ctx.options.onProgress) request.onProgress = ctx.options.onProgress;
    if (deployment.artifactName) request.name = deployment.artifactName;

    let result;
    try {
      result = await ctx.services.install.download(request);
    } catch (e) {
      // Mender: a failed download (rejected artifact, I/O, server) runs Download_Error before Cleanup.
      return this.failed(ctx, e);
    }
    ctx.record.download = result;
    if (!deployment.artifactName) deployment.artifactName = result.artifactName;
    ctx.note("info", `downloaded ${result.artifactName} (${result.bytesRead} bytes, ${result.payloads.length} payloads)`, {
      event: EVENTS.deploymentDownloaded,
    });

    err = await ctx.runScripts("Download", "Leave");
    if (err) return this.failed(ctx, err);

    // Install policy (maintenance window, hawkBit "update: skip"): downloaded, nothing armed, wait here.
    const pause = await ctx.options.beforeInstall?.(deployment);
    if (pause) {
      ctx.note("info", `downloaded; waiting to install: ${pause.reason}`, { event: EVENTS.deploymentInstallPaused });
      if ((await ctx.report("pause_before_installing", { substate: pause.reason })) === "aborted") {
        ctx.fail(this.name, new OtaError("OTA_ERR_STATE_ABORTED", `the server aborted deployment ${deployment.id} (status pause_before_installing)`));
        return "Aborted";
      }
      await pause.wait(ctx.signal);
      ctx.note("info", "install window open", { event: EVENTS.deploymentInstallResumed });
    }
    return "Success";
  }

  private async failed(ctx: DeploymentContext, err: unknown): Promise<StateEvent> {
    ctx.fail(this.name, err);
    await ctx.runErrorScripts(this.name);
    return "Failure";
  }
}
