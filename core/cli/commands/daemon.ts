// `ota-agent daemon`: the long-running agent — resume, then poll and deploy; control socket; systemd notify.
import type { CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";
import { resolve, resolveOptional } from "../../di/resolve.js";
import { TOKENS } from "../../di/tokens.js";
import { asOtaError } from "../../errors/index.js";

const USAGE = `ota-agent daemon

Runs the agent as a service (systemd: Type=notify, ExecStart=/usr/bin/ota-agent daemon). Holds the agent lock for
its lifetime, so standalone install/commit/rollback/resume fail with exit code 4 while it runs.

  1. resumes a deployment interrupted by a reboot or a stop (verify, health-check, commit, or roll back); with
     none in progress, checks the boot choice: a broken autoboot.txt is rewritten with the running slot as the
     default, a stray armed trial is disarmed, booted ≠ committed is logged (events boot-check.*);
  2. polls the fleet server (plugins.server-mender / server-hawkbit) or schedule.selfUpdate: inventory and an
     update check at start, then on the server's intervals with jitter, backoff after failures, Retry-After and
     hawkBit's sleep honoured; installs within schedule.maintenanceWindows when installPolicy is "in-window";
  3. answers ota-agent check-update / send-inventory / status on daemon.controlSocket (root only, mode 0600);
     SIGUSR1 = check now, SIGUSR2 = inventory now.

With NOTIFY_SOCKET set: READY=1 once plugins are set up and the socket is bound, STATUS= lines, WATCHDOG=1 every
WATCHDOG_USEC/2, STOPPING=1. SIGTERM/SIGINT stop it: a download in progress is abandoned (the record stays at
Download; the next start reports it failed), other steps stop at the next state boundary. Logs: JSON on stdout.
Exit codes: 0 stopped, 1 failed, 4 another agent process holds the lock, 5 config invalid, 6 plugin load error`;

export const daemonCommand: CoreCommand = {
  name: "daemon",
  summary: "run the agent as a service: resume, poll the server, deploy, answer the control socket",
  usage: USAGE,
  readOnly: false,
  logToStdout: true,
  async run(args, ctx) {
    rejectArgs("daemon", args);
    const agent = await ctx.agent();
    const log = (await ctx.logger()).child({ component: "daemon" });
    const { platform, config } = agent;
    const [{ resolveUpdateSource }, { MaintenanceWindows }, { UpdateScheduler }, { ControlServer }, { SystemdNotifier }, { AgentStopping }] = await Promise.all([
      import("../../scheduler/update-source.js"),
      import("../../scheduler/maintenance-windows.js"),
      import("../../scheduler/update-scheduler.js"),
      import("../../control/control-server.js"),
      import("../../control/systemd-notifier.js"),
      import("../../scheduler/agent-stopping.js"),
    ]);
    const source = await resolveUpdateSource(agent.container, config, log);
    const windows = await MaintenanceWindows.parse(config.schedule.maintenanceWindows);
    const runner = resolve(agent.container, TOKENS.DeploymentRunner);
    const notifier = SystemdNotifier.fromEnv(ctx.env, platform, log);
    const scheduler = new UpdateScheduler({
      platform,
      log,
      server: source.server,
      runner,
      deviceType: agent.info.deviceType ?? "",
      schedule: config.schedule,
      windows,
      ...(source.checkTimes ? { checkTimes: source.checkTimes } : {}),
      ...(notifier ? { onStatus: (text: string) => void notifier.status(text) } : {}),
    });

    // Boot-time self-check (repair a broken autoboot.txt, disarm a stray trial). It runs before the scheduler's
    // resume but skips itself whenever a deployment is in progress: that deployment owns the boot choice, and it
    // ends by a commit or a rollback, both of which leave a valid, disarmed autoboot.txt.
    const { checkBootState } = await import("../../state-machine/boot-check.js");
    const bootCheck = await checkBootState(runner, resolveOptional(agent.container, TOKENS.Bootloader), log);

    const stop = new AbortController();
    const onStop = (sig: NodeJS.Signals): void => {
      if (stop.signal.aborted) return;
      log.info({ event: "daemon.stopping", signal: sig }, `${sig}: stopping`);
      stop.abort(new AgentStopping(sig));
    };
    const onCheck = (): void => void scheduler.checkNow();
    const onInventory = (): void => void scheduler.inventoryNow();
    process.on("SIGTERM", onStop);
    process.on("SIGINT", onStop);
    process.on("SIGUSR1", onCheck);
    process.on("SIGUSR2", onInventory);

    const control = await ControlServer.listen(
      platform,
      config.daemon.controlSocket,
      async (cmd) => {
        switch (cmd) {
          case "ping":
            return { pid: process.pid, version: agent.info.version };
          case "status": {
            const m = process.memoryUsage();
            const mb = (n: number): number => Math.round(n / 104857.6) / 10;
            return { pid: process.pid, version: agent.info.version, ...scheduler.status(), bootCheck, memoryMB: { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external) } };
          }
          case "check-update":
            return scheduler.checkNow();
          case "send-inventory":
            return scheduler.inventoryNow();
        }
      },
      log,
    );
    try {
      log.info(
        { event: "daemon.started", pid: process.pid, server: source.server.name, controlSocket: config.daemon.controlSocket, windows: windows.describe() || undefined },
        `daemon started (polling ${source.server.name})`,
      );
      await notifier?.ready(`polling ${source.server.name}`);
      notifier?.startWatchdog();
      const loop = scheduler.run(stop.signal);
      // A stop ends the loop within the stop timeout; a step that ignores the abort is left to systemd's kill.
      const stopped = new Promise<"timeout">((resolveStop) => {
        stop.signal.addEventListener("abort", () => setTimeout(() => resolveStop("timeout"), config.daemon.stopTimeoutMs).unref(), { once: true });
      });
      try {
        const ended = await Promise.race([loop.then(() => "done" as const), stopped]);
        if (ended === "timeout") log.error({ event: "daemon.stop-timeout", timeoutMs: config.daemon.stopTimeoutMs }, "the running step did not stop in time");
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
      log.info({ event: "daemon.stopped" }, "daemon stopped");
      return EXIT.OK;
    } catch (err) {
      const e = asOtaError(err, "OTA_ERR_INTERNAL", "daemon");
      log.fatal({ event: "daemon.failed", code: e.code }, e.message);
      throw e;
    } finally {
      await notifier?.stopping();
      await control.close();
      process.off("SIGTERM", onStop);
      process.off("SIGINT", onStop);
      process.off("SIGUSR1", onCheck);
      process.off("SIGUSR2", onInventory);
    }
  },
};
