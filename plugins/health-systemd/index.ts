// Entry of health-systemd: one HealthCheck polling systemctl through the platform.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { SystemdHealthCheck } from "./systemd-health-check.js";

export default definePlugin(manifest, async (scope, ctx) => ({
  exports: { "health-check": new SystemdHealthCheck(resolve(scope, TOKENS.Platform), ctx.log, ctx.config) },
}));
