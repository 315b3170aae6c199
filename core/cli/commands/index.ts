// The registry of core `ota-agent` commands: one lazy line each, so only the command that runs is imported.
import type { CoreCommandEntry } from "../core-command.js";

/** Add a line per command; keep it a plain array (plugins contribute theirs through the cli-command capability). */
export const coreCommands: CoreCommandEntry[] = [
  {
    name: "check-update",
    summary: "make the daemon check for an update now (or, without a daemon, ask the server once)",
    load: () => import("./check-update.js").then((m) => m.checkUpdateCommand),
  },
  {
    name: "commit",
    summary: "commit the running trial of the deployment in progress (after verify and health checks)",
    load: () => import("./commit.js").then((m) => m.commitCommand),
  },
  {
    name: "config",
    summary: "print the effective configuration, defaults applied and secrets redacted",
    load: () => import("./config.js").then((m) => m.configCommand),
  },
  {
    name: "daemon",
    summary: "run the agent as a service: resume, poll the server, deploy, answer the control socket",
    load: () => import("./daemon.js").then((m) => m.daemonCommand),
  },
  {
    name: "install",
    summary: "install an artifact or update.tar.zst from a file or URL into the other slot (standalone)",
    load: () => import("./install.js").then((m) => m.installCommand),
  },
  {
    name: "plugins",
    summary: "list loaded plugins: version, source, what each provides, set-up time",
    load: () => import("./plugins.js").then((m) => m.pluginsCommand),
  },
  {
    name: "resume",
    summary: "continue the deployment in progress (after a reboot: verify, health-check, commit or roll back)",
    load: () => import("./resume.js").then((m) => m.resumeCommand),
  },
  {
    name: "rollback",
    summary: "abandon the uncommitted deployment in progress: disarm, reboot back if in the trial, report failure",
    load: () => import("./rollback.js").then((m) => m.rollbackCommand),
  },
  {
    name: "send-inventory",
    summary: "send the device inventory to the fleet server now (through the daemon when it runs)",
    load: () => import("./send-inventory.js").then((m) => m.sendInventoryCommand),
  },
  {
    name: "slots",
    summary: "show the active and the other slot's partitions, bootconfig and persistent, and why",
    load: () => import("./slots.js").then((m) => m.slotsCommand),
  },
  {
    name: "status",
    summary: "show the booted and committed slot, a trial in progress, the installed artifact and the last result",
    load: () => import("./status.js").then((m) => m.statusCommand),
  },
];
