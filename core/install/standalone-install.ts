// Standalone install (`ota-agent install`): Download then ArtifactInstall for every payload, outside the daemon.
import type { DependencyContainer } from "tsyringe";
import type { InstalledState } from "../capabilities/deployment-server.js";
import type { StateStore } from "../capabilities/state-store.js";
import type { Platform } from "../capabilities/platform.js";
import type { ModuleContext, UpdateModule } from "../capabilities/update-module.js";
import type { Logger } from "../logging/logger.js";
import { TOKENS } from "../di/tokens.js";
import { resolve, resolveOptional } from "../di/resolve.js";
import { OtaError } from "../errors/index.js";
import { makeModuleContext } from "./module-context.js";
import type { DownloadResult, InstallProgress } from "./download-types.js";

export interface StandaloneInstallOptions {
  uri: string;
  sha256?: string;
  /** After a successful install, run ArtifactReboot of modules that need it (slot modules: the trial reboot). */
  reboot: boolean;
  deviceType: string | undefined;
  dataDir: string;
  signal: AbortSignal;
  log: Logger;
  onProgress?: (p: InstallProgress) => void;
}

export interface StandaloneInstallResult {
  result: DownloadResult;
  /** False when slot payloads were written but no bootloader plugin is loaded to arm them. */
  armed: boolean;
  /** What the modules answered to NeedsArtifactReboot ("Yes" wins over "Automatic" over "No"). */
  reboot: "Yes" | "No" | "Automatic";
  rebooted: boolean;
}

/** The installed artifact from the store's "provides" record (written by the state machine), else "unknown". */
export async function readInstalledState(store: StateStore, deviceType: string): Promise<InstalledState> {
  const record = await store
    .read("provides", (raw) => raw as { schemaVersion: number; artifactName?: string; artifactGroup?: string; provides?: Record<string, string> })
    .catch(() => undefined);
  const provides: Record<string, string> = { ...(record?.provides ?? {}) };
  const artifactName = record?.artifactName ?? "unknown";
  provides.artifact_name = artifactName;
  if (record?.artifactGroup) provides.artifact_group = record.artifactGroup;
  return { deviceType, artifactName, provides };
}

/**
 * Runs the Download state then ArtifactInstall of each payload; on an install failure ArtifactFailure runs for
 * every payload (best effort) and the error is rethrown. This is the body the state machine's runner will
 * replace; the CLI command only parses arguments and prints.
 */
export async function runStandaloneInstall(
  container: DependencyContainer,
  options: StandaloneInstallOptions,
): Promise<StandaloneInstallResult> {
  if (!options.deviceType) {
    throw new OtaError("OTA_ERR_DEVICE_TYPE_UNKNOWN", "no device type: set deviceType in the config or <dataDir>/device_type");
  }
  const platform: Platform = resolve(container, TOKENS.Platform);
  const store: StateStore = resolve(container, TOKENS.StateStore);
  const pipeline = resolve(container, TOKENS.InstallPipeline);
  const registry = resolve(container, TOKENS.UpdateModuleRegistry);
  const installed = await readInstalledState(store, options.deviceType);
  const deploymentId = `standalone-${platform.clock.now()}`;
  const workDir = `${options.dataDir.replace(/\/+$/, "")}/install/standalone`;
  await platform.fs.rm(workDir, { recursive: true, force: true });
  const log = options.log.child({ deploymentId });

  const download = {
    deploymentId,
    uri: options.uri,
    workDir,
    installed,
    signal: options.signal,
    log,
    ...(options.sha256 !== undefined ? { sha256: options.sha256 } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const result = await pipeline.download(download);

  const steps: { module: UpdateModule; ctx: ModuleContext }[] = result.payloads.map((p) => ({
    module: registry.get(p.type),
    ctx: makeModuleContext(result, p.index, {
      deploymentId,
      workDir,
      log,
      signal: options.signal,
      currentProvides: installed.provides,
      currentDeviceType: installed.deviceType,
    }),
  }));
  try {
    for (const { module, ctx } of steps) await module.artifactInstall(ctx);
  } catch (err) {
    for (const { module, ctx } of steps) {
      await module.artifactFailure(ctx).catch((e: unknown) => log.warn({ event: "install.failure-state.failed", err: String(e) }));
    }
    throw err;
  }
  const needs = await Promise.all(steps.map(({ module, ctx }) => module.needsArtifactReboot(ctx)));
  const reboot = needs.includes("Yes") ? "Yes" : needs.includes("Automatic") ? "Automatic" : "No";
  const slotPayload = result.payloads.some((p) => p.type === "rpi-ab-slot" || p.type === "rootfs-image");
  const armed = !slotPayload || resolveOptional(container, TOKENS.Bootloader) !== undefined;
  let rebooted = false;
  if (options.reboot && armed && reboot !== "No") {
    const step = steps.find((_, i) => needs[i] === "Yes");
    if (step) await step.module.artifactReboot(step.ctx);
    else await platform.reboot();
    rebooted = true;
  }
  return { result, armed, reboot, rebooted };
}
