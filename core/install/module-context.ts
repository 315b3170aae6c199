// Builds the ModuleContext of one payload from a DownloadResult, identically before and after a reboot.
import type { ModuleContext } from "../capabilities/update-module.js";
import type { Logger } from "../logging/logger.js";
import { OtaError } from "../errors/index.js";
import type { DownloadResult } from "./download-types.js";

export interface ModuleContextOptions {
  deploymentId: string;
  /** The deployment's work dir (device path), the one given to InstallPipeline.download. */
  workDir: string;
  log: Logger;
  signal: AbortSignal;
  currentProvides: Record<string, string>;
  currentDeviceType?: string;
  progress?: (doneBytes: number, totalBytes?: number) => void;
}

/** `<workDir>/payloads/0000`: the payload's private dir (module trees, saved module state). */
export function payloadWorkDir(workDir: string, payloadIndex: number): string {
  return `${workDir.replace(/\/+$/, "")}/payloads/${String(payloadIndex).padStart(4, "0")}`;
}

/** header-info as Mender writes it, rebuilt from the result when the artifact carried none (rpi-update). */
function headerInfoOf(result: DownloadResult): Record<string, unknown> {
  if (result.headerInfo) return result.headerInfo;
  const provides: Record<string, string> = { artifact_name: result.artifactName };
  if (result.artifactGroup) provides.artifact_group = result.artifactGroup;
  return {
    payloads: result.payloads.map((p) => ({ type: p.type })),
    artifact_provides: provides,
    artifact_depends: { device_type: result.deviceTypes },
  };
}

/** The context for payload `payloadIndex`; throws OTA_ERR_INTERNAL when the result has no such payload. */
export function makeModuleContext(
  result: DownloadResult,
  payloadIndex: number,
  options: ModuleContextOptions,
): ModuleContext {
  const payload = result.payloads.find((p) => p.index === payloadIndex);
  if (!payload) {
    throw new OtaError("OTA_ERR_INTERNAL", `artifact ${result.artifactName} has no payload ${payloadIndex}`);
  }
  const ctx: ModuleContext = {
    deploymentId: options.deploymentId,
    artifactName: result.artifactName,
    payloadType: payload.type,
    payloadIndex,
    header: { headerInfo: headerInfoOf(result), typeInfo: payload.typeInfo, metaData: payload.metaData },
    currentProvides: options.currentProvides,
    workDir: payloadWorkDir(options.workDir, payloadIndex),
    log: options.log.child({ payloadIndex, payloadType: payload.type }),
    signal: options.signal,
  };
  if (options.currentDeviceType !== undefined) ctx.currentDeviceType = options.currentDeviceType;
  if (options.progress) ctx.progress = options.progress;
  return ctx;
}
