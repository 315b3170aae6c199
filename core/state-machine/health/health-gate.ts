// Decides whether a trial boot may be committed: every health-check capability plus the executables in health.d.
import type { HealthCheck, HealthResult } from "../../capabilities/health-check.js";
import type { Platform } from "../../capabilities/platform.js";
import { OtaError, asOtaError, isOtaError } from "../../errors/index.js";
import { rethrowIfHalt } from "../halt.js";

export interface HealthSettings {
  /** Device path of the script checks; missing → none. */
  scriptsDir: string;
  /** All checks together, ms. */
  deadlineMs: number;
}

/**
 * Plugin checks (the `health-check` hook: every provider, in parallel) run first, then script checks in name
 * order, each with what is left of the one deadline. The first "no", throw or timeout decides: rollback.
 */
export class HealthGate {
  constructor(
    private readonly platform: Platform,
    private readonly checks: () => readonly HealthCheck[],
    private readonly settings: HealthSettings,
  ) {}

  /** Undefined when healthy; else the reason as OTA_ERR_HEALTH_FAILED / OTA_ERR_HEALTH_TIMEOUT (never throws but halts). */
  async check(signal: AbortSignal, note: (level: "info" | "warn" | "error", message: string) => void): Promise<OtaError | undefined> {
    const clock = this.platform.clock;
    const deadline = clock.monotonic() + this.settings.deadlineMs;
    const deadlineSignal = AbortSignal.any([signal, AbortSignal.timeout(this.settings.deadlineMs)]);
    try {
      const checks = this.checks();
      const results = await Promise.all(checks.map((c) => this.runCheck(c, deadlineSignal)));
      for (const [i, result] of results.entries()) {
        const name = checks[i]?.name ?? `#${i}`;
        if (!result.ok) {
          return new OtaError("OTA_ERR_HEALTH_FAILED", `health check ${name}: ${result.reason ?? "unhealthy"}`, { details: { check: name } });
        }
        note("info", `health check ${name}: ok`);
      }
      for (const script of await this.scripts()) {
        const left = deadline - clock.monotonic();
        const name = script.slice(script.lastIndexOf("/") + 1);
        if (left <= 0) return this.timeout(name);
        const result = await this.platform.run(this.platform.path(script), [], { timeoutMs: left, signal, maxOutputBytes: 16 * 1024 });
        if (result.timedOut) return this.timeout(name);
        if (result.code !== 0) {
          const tail = result.stderr.trim().split("\n").slice(-3).join(" | ");
          return new OtaError("OTA_ERR_HEALTH_FAILED", `health script ${name} exited ${result.code ?? result.signal}${tail ? `: ${tail}` : ""}`, {
            details: { check: name, exitCode: result.code },
          });
        }
        note("info", `health script ${name}: ok`);
      }
      return undefined;
    } catch (err) {
      rethrowIfHalt(err);
      if (isOtaError(err, "OTA_ERR_HEALTH_TIMEOUT")) return err;
      return asOtaError(err, "OTA_ERR_HEALTH_FAILED", "health check");
    }
  }

  private timeout(name: string): OtaError {
    return new OtaError("OTA_ERR_HEALTH_TIMEOUT", `health check ${name} did not pass within health.deadlineMs ${this.settings.deadlineMs}`, {
      details: { check: name },
    });
  }

  private async runCheck(check: HealthCheck, signal: AbortSignal): Promise<HealthResult> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.timeout(check.name));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([check.check(signal), aborted]);
    } catch (err) {
      rethrowIfHalt(err);
      if (isOtaError(err, "OTA_ERR_HEALTH_TIMEOUT")) throw err;
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  private async scripts(): Promise<string[]> {
    const fs = this.platform.fs;
    const dir = this.settings.scriptsDir;
    if (!(await fs.exists(dir))) return [];
    const out: string[] = [];
    for (const name of (await fs.readdir(dir)).sort()) {
      if (name.startsWith(".")) continue;
      const st = await fs.stat(`${dir}/${name}`);
      if (st?.isFile && (st.mode & 0o111) !== 0) out.push(`${dir}/${name}`);
    }
    return out;
  }
}
