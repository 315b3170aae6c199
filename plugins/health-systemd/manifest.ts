// Manifest of health-systemd: a trial boot is healthy when systemd finished starting and the required units are active.
import * as z from "zod";
import type { PluginManifest } from "../../core/plugin-host/define-plugin.js";

/** systemd unit names; never starting with "-", so a name can never be taken for a systemctl option. */
const unitName = z.string().regex(/^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/, "must be a systemd unit name such as app.service");

export const HealthSystemdConfigSchema = z.strictObject({
  /** Count "degraded" (boot finished, some unit failed) as healthy. Default false: a failed unit means rollback. */
  acceptDegraded: z.boolean().default(false),
  /** Units that must be active ("nginx.service"); a name without a suffix means ".service". */
  units: z.array(unitName).default([]),
  /** Give up (unhealthy) when systemd has not finished starting, or a unit is still activating, after this long. */
  deadlineMs: z.number().int().positive().default(180_000),
  /** Pause between polls while systemd is starting. */
  pollIntervalMs: z.number().int().positive().default(2_000),
  /** The systemctl binary. */
  systemctl: z.string().min(1).default("systemctl"),
});
export type HealthSystemdConfig = z.output<typeof HealthSystemdConfigSchema>;

export const manifest: PluginManifest<HealthSystemdConfig> = {
  name: "health-systemd",
  version: "0.1.0",
  agent: "^0.1.0",
  provides: ["health-check"],
  config: HealthSystemdConfigSchema,
  description: "trial-boot health from systemd: system state running (or degraded if allowed) and required units active",
};
