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
  // boot-time self-check of the boot choice (core/state-machine/boot-check.ts)
  bootCheckOk: "boot-check.ok",
  bootCheckAutobootRepaired: "boot-check.autoboot-repaired",
  bootCheckStrayTrialDisarmed: "boot-check.stray-trial-disarmed",
  bootCheckBootedNotCommitted: "boot-check.booted-not-committed",
  bootCheckTrialWithoutDeployment: "boot-check.trial-without-deployment",
  bootCheckFailed: "boot-check.failed",

  // --- deployments ---
  installStarted: "install-started",
  installSucceeded: "install-succeeded",
  installFailed: "install-failed",
  rollbackStarted: "rollback-started",
  commitDone: "commit-done",
  // deployment state machine (core/state-machine)
  deploymentDownloaded: "deployment.downloaded",
  deploymentInstalled: "deployment.installed",
  deploymentRebootPending: "deployment.reboot-pending",
  deploymentRebooting: "deployment.rebooting",
  deploymentTrialVerified: "deployment.trial-verified",
  deploymentHealthy: "deployment.healthy",
  deploymentRollbackRebooting: "deployment.rollback-rebooting",
  deploymentRolledBack: "deployment.rolled-back",
  deploymentStateFailed: "deployment.state-failed",
  deploymentStateLoop: "deployment.state-loop",
  deploymentStatusReported: "deployment.status-reported",
  deploymentStatusFailed: "deployment.status-failed",
  deploymentAborted: "deployment.aborted",
  deploymentResume: "deployment.resume",
  deploymentRecordInvalid: "deployment.record-invalid",
  deploymentLogUploadFailed: "deployment.log-upload-failed",
  deploymentInstallPaused: "deployment.install-paused",
  deploymentInstallResumed: "deployment.install-resumed",
} as const;

export type EventId = (typeof EVENTS)[keyof typeof EVENTS];
