// ota-agent.service against the daemon it starts: notify type and access, watchdog period, stop timeout, commands.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { coreCommands } from "../../core/cli/commands/index.js";
import { AgentConfigSchema } from "../../core/config/schema.js";
import { SystemdNotifier } from "../../core/control/systemd-notifier.js";
import { NodePlatform } from "../../core/platform/index.js";
import { BootTaskCommand } from "../../plugins/persistence/boot-task-command.js";
import { GenerateCommand } from "../../plugins/persistence/generate-command.js";
import { PersistentInitCommand } from "../../plugins/persistence/persistent-init-command.js";
import { PERSISTENT_MOUNT } from "../../plugins/persistence/unit-plan.js";
import type { PersistenceTask } from "../../plugins/persistence/persistence-task.js";
import { MachineIdSyncCommand } from "../../plugins/machine-id/machine-id-sync-command.js";
import type { MachineIdSync } from "../../plugins/machine-id/machine-id-sync.js";
import { recordingLogger } from "../plugins/persistence/test-logger.js";
import { REPO } from "./verify-root.js";

/** `[Service]` (or any section) key → values, in file order; comments and blank lines skipped. */
function unitKeys(name: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const raw of readFileSync(join(REPO, "systemd", name), "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    const key = line.slice(0, eq);
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

function one(keys: Map<string, string[]>, key: string): string {
  const values = keys.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0]!;
}

/** "120s", "2min", "90" (seconds) → milliseconds. */
function timespanMs(value: string): number {
  const m = /^(\d+)\s*(ms|s|sec|min|m)?$/.exec(value);
  if (!m) throw new Error(`unparsed time span ${value}`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "min" || m[2] === "m" ? n * 60_000 : n * 1000;
}

const log = recordingLogger();
/** Every command an installed unit may run: core ones plus those the device plugins contribute. */
const COMMANDS = new Set([
  ...coreCommands.map((c) => c.name),
  new BootTaskCommand(() => []).name,
  new GenerateCommand(() => [], log).name,
  new PersistentInitCommand({} as PersistenceTask).name,
  new MachineIdSyncCommand({} as MachineIdSync).name,
]);

describe("ota-agent.service and the daemon", () => {
  const unit = unitKeys("ota-agent.service");

  it("starts `ota-agent daemon`, a command the agent has", async () => {
    expect(one(unit, "ExecStart")).toBe("/usr/bin/ota-agent daemon");
    const entry = coreCommands.find((c) => c.name === "daemon");
    expect(entry).toBeDefined();
    expect((await entry!.load()).name).toBe("daemon");
  });

  it("is Type=notify with NotifyAccess=all, because READY/WATCHDOG come from systemd-notify children", () => {
    expect(one(unit, "Type")).toBe("notify");
    // the daemon sends through child processes (Node has no datagram unix socket): "main" would drop them
    expect(one(unit, "NotifyAccess")).toBe("all");
  });

  it("the daemon pets the watchdog at half of WatchdogSec", () => {
    const watchdogMs = timespanMs(one(unit, "WatchdogSec"));
    expect(watchdogMs).toBeGreaterThan(0);
    const notifier = SystemdNotifier.fromEnv(
      { NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: String(watchdogMs * 1000), WATCHDOG_PID: "4242" },
      new NodePlatform(),
      log,
      4242,
    );
    expect(notifier?.watchdogIntervalMs).toBe(watchdogMs / 2);
  });

  it("gives the daemon longer to stop than the daemon gives its running step", () => {
    const stopMs = AgentConfigSchema.parse({}).daemon.stopTimeoutMs;
    expect(timespanMs(one(unit, "TimeoutStopSec"))).toBeGreaterThan(stopMs);
    expect(one(unit, "Restart")).toBe("on-failure");
  });

  it("can write only the data dir, /bootfs and the per-slot /var trees", () => {
    const dataDir = AgentConfigSchema.parse({}).dataDir;
    expect(one(unit, "ProtectSystem")).toBe("strict");
    expect(one(unit, "ReadWritePaths").split(/\s+/).map((p) => p.replace(/^-/, ""))).toEqual([dataDir, "/bootfs", `${PERSISTENT_MOUNT}/slots`]);
    expect(one(unit, "RequiresMountsFor")).toBe(dataDir.slice(0, dataDir.lastIndexOf("/")));
  });
});

describe("units that commit can run the post-commit fresh /var", () => {
  // AfterCommit runs the persistence task in the daemon (or in `ota-agent resume`): it writes
  // /persistent/slots/<slot>/.var.ota-build and copies set-group-ID directories such as /var/log/journal.
  for (const name of ["ota-agent.service", "ota-agent-commit.service"]) {
    it(`sandbox-blocking-fresh-var-is-caught (${name})`, () => {
      const keys = unitKeys(name);
      const writable = one(keys, "ReadWritePaths").split(/\s+/).map((p) => p.replace(/^-/, ""));
      expect(writable).toContain(`${PERSISTENT_MOUNT}/slots`);
      expect(keys.get("RestrictSUIDSGID") ?? ["no"]).not.toContain("yes");
    });
  }
});

describe("every shipped unit runs a command the agent has", () => {
  for (const name of ["ota-agent.service", "ota-agent-commit.service", "ota-agent-luks-open.service", "ota-agent-machine-id-sync.service"]) {
    it(name, () => {
      for (const exec of unitKeys(name).get("ExecStart") ?? []) {
        const [binary, command] = exec.split(/\s+/);
        expect(binary).toBe("/usr/bin/ota-agent");
        expect(COMMANDS.has(command!), `${name}: ota-agent ${command}`).toBe(true);
      }
    });
  }
});
