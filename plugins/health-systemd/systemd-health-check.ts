// SystemdHealthCheck: may this trial boot be committed? — systemd finished starting, and the required units are active.
//
// Polls `systemctl is-system-running` (not `--wait`, so the deadline and the caller's signal are honoured) until it
// leaves initializing/starting; then `systemctl is-active` for each required unit, polling while one is still
// activating. Read-only: it never starts, stops or resets anything.
import type { HealthCheck, HealthResult } from "../../core/capabilities/health-check.js";
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import type { HealthSystemdConfig } from "./manifest.js";

/** `is-system-running` states that mean "boot not finished yet". */
const STARTING = new Set(["initializing", "starting"]);
/** `is-active` states that may still become active. */
const TRANSIENT = new Set(["activating", "reloading", "refreshing"]);
const PER_CALL_TIMEOUT_MS = 15_000;

export class SystemdHealthCheck implements HealthCheck {
  readonly name = "systemd";

  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly config: HealthSystemdConfig,
  ) {}

  async check(signal: AbortSignal): Promise<HealthResult> {
    const clock = this.platform.clock;
    const deadline = clock.monotonic() + this.config.deadlineMs;
    const timeLeft = (): number => deadline - clock.monotonic();

    // 1. The system state, until boot has finished.
    let state = await this.systemState(signal);
    while (STARTING.has(state)) {
      if (timeLeft() <= 0) return this.unhealthy(`systemd is still "${state}" after ${this.config.deadlineMs} ms`);
      await clock.sleep(Math.min(this.config.pollIntervalMs, Math.max(timeLeft(), 0)), signal);
      state = await this.systemState(signal);
    }
    if (state === "degraded" && !this.config.acceptDegraded) {
      const failed = await this.failedUnits(signal);
      return this.unhealthy(`system is degraded${failed.length > 0 ? `: failed ${failed.join(", ")}` : ""}`);
    }
    if (state !== "running" && state !== "degraded") {
      return this.unhealthy(`systemd reports the system "${state || "(no answer)"}"`);
    }

    // 2. Each required unit, polling only while it is on its way up.
    for (const unit of this.config.units) {
      let active = await this.unitState(unit, signal);
      while (TRANSIENT.has(active)) {
        if (timeLeft() <= 0) return this.unhealthy(`unit ${unit} is still ${active} after ${this.config.deadlineMs} ms`);
        await clock.sleep(Math.min(this.config.pollIntervalMs, Math.max(timeLeft(), 0)), signal);
        active = await this.unitState(unit, signal);
      }
      if (active !== "active") return this.unhealthy(`unit ${unit} is ${active || "unknown"}`);
    }
    this.log.info({ event: "health-systemd-ok", state, units: this.config.units }, `systemd health check passed (${state})`);
    return { ok: true };
  }

  private unhealthy(reason: string): HealthResult {
    this.log.warn({ event: "health-systemd-failed", reason }, `systemd health check failed: ${reason}`);
    return { ok: false, reason };
  }

  /** `systemctl is-system-running` prints the state and exits non-zero unless "running": the text is what counts. */
  private async systemState(signal: AbortSignal): Promise<string> {
    return this.firstLine(await this.systemctl(["is-system-running"], signal));
  }

  private async unitState(unit: string, signal: AbortSignal): Promise<string> {
    return this.firstLine(await this.systemctl(["is-active", "--", unit], signal));
  }

  private async failedUnits(signal: AbortSignal): Promise<string[]> {
    const out = await this.systemctl(["list-units", "--failed", "--plain", "--no-legend", "--no-pager"], signal);
    return out
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0] ?? "")
      .filter((u) => u !== "")
      .slice(0, 20);
  }

  private async systemctl(args: string[], signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const r = await this.platform.run(this.config.systemctl, args, { signal, timeoutMs: PER_CALL_TIMEOUT_MS, maxOutputBytes: 64 * 1024 });
    signal.throwIfAborted();
    return r.timedOut ? "" : r.stdout;
  }

  private firstLine(text: string): string {
    return (text.split("\n")[0] ?? "").trim();
  }
}
