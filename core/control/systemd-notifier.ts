// Tells systemd how the daemon is doing (Type=notify): READY, STATUS, WATCHDOG keep-alives and STOPPING.
import type { Platform } from "../capabilities/platform.js";
import type { Logger } from "../logging/logger.js";

/**
 * Node has no AF_UNIX datagram socket, so each message is one short-lived `systemd-notify --pid=<ours>` child
 * (measured here: 40–70 ms and no lasting memory per message, against a native module's build burden). `--pid`
 * makes the message come from the daemon's pid, and the unit sets NotifyAccess=all in case the kernel attributes
 * it to the child. systemd-notify waits on a barrier until the manager has read the message, so READY=1 is never
 * lost to the child exiting first. Messages go out one at a time, in order; a failure is logged, never thrown:
 * a missed keep-alive is the watchdog's business, not a reason to stop updating.
 */
export class SystemdNotifier {
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly env: Record<string, string | undefined>,
    /** Keep-alive period (half of WATCHDOG_USEC), or undefined without a watchdog. */
    readonly watchdogIntervalMs: number | undefined,
  ) {}

  /** A notifier when NOTIFY_SOCKET is set (started by systemd as Type=notify), else undefined. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>, platform: Platform, log: Logger, pid = process.pid): SystemdNotifier | undefined {
    const socket = env["NOTIFY_SOCKET"];
    if (!socket) return undefined;
    const usec = Number(env["WATCHDOG_USEC"]);
    const watchdogPid = env["WATCHDOG_PID"];
    // WATCHDOG_PID names the process the watchdog is meant for; another process's settings are not ours.
    const forUs = watchdogPid === undefined || Number(watchdogPid) === pid;
    const interval = forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
    return new SystemdNotifier(platform, log, { NOTIFY_SOCKET: socket }, interval);
  }

  /** Sends `fields` (e.g. READY=1, STATUS=...) as one message; resolves when sent (or failed and logged). */
  notify(fields: Record<string, string>): Promise<void> {
    const args = [`--pid=${process.pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, " ")}`)];
    this.chain = this.chain.then(async () => {
      try {
        const r = await this.platform.run("systemd-notify", args, { env: this.env, timeoutMs: 5_000, maxOutputBytes: 4096 });
        if (r.code !== 0) this.log.warn({ event: "daemon.notify-failed", code: r.code, stderr: r.stderr.trim() }, `systemd-notify ${Object.keys(fields).join(" ")} failed`);
      } catch (err) {
        this.log.warn({ event: "daemon.notify-failed", err }, "systemd-notify could not run");
      }
    });
    return this.chain;
  }

  ready(status: string): Promise<void> {
    return this.notify({ READY: "1", STATUS: status });
  }

  status(status: string): Promise<void> {
    return this.notify({ STATUS: status });
  }

  stopping(status = "stopping"): Promise<void> {
    this.stopWatchdog();
    return this.notify({ STOPPING: "1", STATUS: status });
  }

  /**
   * Starts WATCHDOG=1 keep-alives at half the watchdog period, from the event loop: a wedged loop stops them and
   * systemd restarts the daemon. A keep-alive still in flight is not doubled up.
   */
  startWatchdog(): void {
    if (this.watchdogIntervalMs === undefined || this.timer) return;
    let inFlight = false;
    this.timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      void this.notify({ WATCHDOG: "1" }).finally(() => (inFlight = false));
    }, this.watchdogIntervalMs);
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves when every message sent so far has gone out. */
  flush(): Promise<void> {
    return this.chain;
  }
}
