// Picks what the daemon polls: the loaded fleet server plugin, else the self-update source from the config.
import type { DependencyContainer } from "tsyringe";
import type { DeploymentServer } from "../capabilities/deployment-server.js";
import type { AgentConfig } from "../config/schema.js";
import { resolve, resolveAll } from "../di/resolve.js";
import { TOKENS } from "../di/tokens.js";
import { OtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import { MaintenanceWindows } from "./maintenance-windows.js";
import { SelfUpdateSource } from "./self-update-source.js";

export interface UpdateSource {
  server: DeploymentServer;
  /** For a self-update with a cron: when the next check is due. */
  checkTimes?: { msUntilNext(nowMs: number): number | undefined };
}

/**
 * A `deployment-server` capability wins (the fleet decides); `schedule.selfUpdate` is for devices without one.
 * Throws OTA_ERR_DAEMON_NOTHING_TO_POLL when there is neither, OTA_ERR_SCHEDULE_INVALID for a bad cron.
 */
export async function resolveUpdateSource(container: DependencyContainer, config: AgentConfig, log: Logger): Promise<UpdateSource> {
  const servers = resolveAll(container, TOKENS.DeploymentServer);
  const self = config.schedule.selfUpdate;
  if (servers.length > 0) {
    if (self) log.warn({ event: "schedule.self-update-ignored" }, "schedule.selfUpdate is ignored: a fleet server plugin is loaded");
    return { server: servers[0] as DeploymentServer };
  }
  if (!self) {
    throw new OtaError(
      "OTA_ERR_DAEMON_NOTHING_TO_POLL",
      "nothing to poll: no fleet server plugin is loaded (plugins.server-mender / plugins.server-hawkbit) and schedule.selfUpdate is not set",
    );
  }
  const sources = resolve(container, TOKENS.SourceRegistry);
  const runner = resolve(container, TOKENS.DeploymentRunner);
  const server = new SelfUpdateSource({
    uri: self.uri,
    ...(self.checkSha256Uri ? { checkSha256Uri: self.checkSha256Uri } : {}),
    intervalMs: self.intervalSeconds * 1000,
    open: (uri, signal) => sources.get(uri).open(uri, signal ? { signal } : {}),
    lastResult: () => runner.lastResult().catch(() => undefined),
    log,
  });
  if (!self.cron) return { server };
  // One window of zero length is a cron timer: reuse its parsing and time-zone handling.
  const cron = await MaintenanceWindows.parse([{ cron: self.cron, durationMinutes: 1, ...(self.timeZone ? { timeZone: self.timeZone } : {}) }], "schedule.selfUpdate.cron");
  return { server, checkTimes: { msUntilNext: (now) => cron.msUntilNextStart(now) } };
}
