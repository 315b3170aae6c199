// Stable `event` ids for operator-relevant log lines: journald queries and fleet dashboards match on these.

/**
 * Never rename or reuse an id; add new ones in your area's block. Log them as `log.info({ event: EVENTS.x }, msg)`.
 */
export const EVENTS = {
  // --- agent and plugin host ---
  agentStart: "agent-start",
  agentStop: "agent-stop",
  pluginLoaded: "plugin-loaded",
  pluginClosed: "plugin-closed",
  pluginCloseFailed: "plugin-close-failed",
  configLoaded: "config-loaded",
  storeCorrupt: "store-corrupt",

  // --- slots and boot ---
  bootSlotDetected: "boot-slot-detected",

  // --- deployments ---
  installStarted: "install-started",
  installSucceeded: "install-succeeded",
  installFailed: "install-failed",
  rollbackStarted: "rollback-started",
  commitDone: "commit-done",
} as const;

export type EventId = (typeof EVENTS)[keyof typeof EVENTS];
