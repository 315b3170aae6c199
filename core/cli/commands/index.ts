// The registry of core `ota-agent` commands: one lazy line each, so only the command that runs is imported.
import type { CoreCommandEntry } from "../core-command.js";

/** Add a line per command; keep it a plain array (plugins contribute theirs through the cli-command capability). */
export const coreCommands: CoreCommandEntry[] = [
  {
    name: "config",
    summary: "print the effective configuration, defaults applied and secrets redacted",
    load: () => import("./config.js").then((m) => m.configCommand),
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
    name: "slots",
    summary: "show the active and the other slot's partitions, bootconfig and persistent, and why",
    load: () => import("./slots.js").then((m) => m.slotsCommand),
  },
];
