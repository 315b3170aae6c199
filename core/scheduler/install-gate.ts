// The daemon's install policy: whether a downloaded deployment may start ArtifactInstall now, and the wait if not.
import type { Clock } from "../capabilities/platform.js";
import type { Deployment, DeploymentServer, InstalledState } from "../capabilities/deployment-server.js";
import { OtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import type { InstallPause } from "../state-machine/deployment-context.js";
import type { MaintenanceWindows } from "./maintenance-windows.js";

export interface InstallGateOptions {
  policy: "immediately" | "in-window";
  windows: MaintenanceWindows;
  clock: Clock;
  log: Logger;
  /** For server-side windows (hawkBit): re-asked until the deployment may be installed. */
  server?: DeploymentServer;
  installed?: () => Promise<InstalledState>;
  /** How often to re-ask the server while it holds the install back, ms. */
  serverRecheckMs?: () => number;
}

/** Longest single sleep while waiting for a window, so a changed clock (NTP after boot) is noticed. */
const MAX_WINDOW_SLEEP_MS = 15 * 60_000;

/**
 * Two sources can hold an install back, and both must let it go:
 * - the device's own windows (`schedule.installPolicy: "in-window"` + `schedule.maintenanceWindows`);
 * - the server: hawkBit's `maintenanceWindow: "unavailable"` or `update: "skip"` (a download-only action, or
 *   outside the server's window) — the device downloads now and asks again until the server says install.
 * The result plugs into DeploymentRunner's `beforeInstall`: the download is done and saved, nothing is armed.
 */
export function createInstallGate(options: InstallGateOptions): (deployment: Deployment) => Promise<InstallPause | undefined> {
  return async (deployment) => {
    const reasons: string[] = [];
    const serverHolds = heldByServer(deployment);
    if (serverHolds) reasons.push(serverHolds);
    const windowed = options.policy === "in-window" && options.windows.configured;
    if (windowed && !options.windows.isOpen(options.clock.now())) reasons.push(`outside the maintenance windows (${options.windows.describe()})`);
    if (reasons.length === 0) return undefined;
    return {
      reason: reasons.join("; "),
      wait: async (signal) => {
        if (serverHolds) await waitForServer(options, deployment, signal);
        if (windowed) await waitForWindow(options, signal);
      },
    };
  };
}

function heldByServer(deployment: Deployment): string | undefined {
  if (deployment.policy.maintenanceWindow === "unavailable") return "the server's maintenance window is closed";
  if (deployment.policy.update === "skip") return "the server asks for download only";
  return undefined;
}

async function waitForWindow(options: InstallGateOptions, signal: AbortSignal): Promise<void> {
  for (;;) {
    const now = options.clock.now();
    const ms = options.windows.msUntilOpen(now);
    if (ms === 0) return;
    if (ms === undefined) {
      throw new OtaError("OTA_ERR_SCHEDULE_INVALID", `no maintenance window opens again (${options.windows.describe()})`);
    }
    options.log.info({ event: "schedule.window-wait", opensInMs: ms }, `install waits ${Math.round(ms / 1000)} s for a maintenance window`);
    await options.clock.sleep(Math.min(ms, MAX_WINDOW_SLEEP_MS), signal);
  }
}

async function waitForServer(options: InstallGateOptions, deployment: Deployment, signal: AbortSignal): Promise<void> {
  const { server, installed } = options;
  if (!server || !installed) return;
  let failures = 0;
  for (;;) {
    const interval = options.serverRecheckMs?.() ?? 300_000;
    await options.clock.sleep(interval, signal);
    let next: Awaited<ReturnType<DeploymentServer["nextDeployment"]>>;
    try {
      next = await server.nextDeployment(await installed(), signal);
      failures = 0;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      failures++;
      options.log.warn({ event: "schedule.recheck-failed", err, failures }, "asking the server whether to install failed; asking again later");
      continue;
    }
    if (!("id" in next) || next.id !== deployment.id) {
      // The action is gone (cancelled, or replaced by another): this deployment must not be installed.
      throw new OtaError("OTA_ERR_STATE_ABORTED", `the server no longer offers deployment ${deployment.id} while it waited to install`, {
        details: { deploymentId: deployment.id },
      });
    }
    if (!heldByServer(next)) {
      deployment.policy = next.policy;
      options.log.info({ event: "schedule.server-release", deploymentId: deployment.id }, "the server lets the install go ahead");
      return;
    }
  }
}
