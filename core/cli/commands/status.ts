// `ota-agent status`: booted / committed slot, trial, the deployment in progress, the installed artifact, last result.
import type { BootState } from "../../capabilities/bootloader.js";
import type { Platform } from "../../capabilities/platform.js";
import type { CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";
import { TOKENS } from "../../di/tokens.js";
import { resolve, resolveOptional } from "../../di/resolve.js";
import { asOtaError } from "../../errors/index.js";
import { flattenProvides } from "../../state-machine/provides.js";
import { checkBootState } from "../../state-machine/boot-check.js";

export const statusCommand: CoreCommand = {
  name: "status",
  summary: "show the booted and committed slot, a trial in progress, the installed artifact and the last result",
  usage: `ota-agent status [--json]

Read-only. JSON keys: booted, committed ("a"/"b", null without a bootloader plugin), trial (boolean), armed
(slot a trial reboot would start, or null), state ("idle" or the deployment's saved state), deployment (id,
artifact, state, store count, or null), artifact { name, group, provides }, lastResult (or null), daemon (the running daemon's pid, phase, deployment,
nextCheckAt, lastCheck..., or null; an unreachable daemon gives { error }), bootError
(when the boot state cannot be read), bootCheck (what the boot-time check would do now: action "ok", "skipped",
"repair-needed", "disarm-needed", "booted-not-committed" or "error").`,
  readOnly: true,
  async run(args, ctx) {
    rejectArgs("status", args);
    const agent = await ctx.agent();
    const runner = resolve(agent.container, TOKENS.DeploymentRunner);
    let boot: BootState | undefined;
    let bootError: { code: string; message: string } | undefined;
    try {
      boot = await runner.bootState();
    } catch (err) {
      const e = asOtaError(err, "OTA_ERR_INTERNAL", "boot state");
      bootError = { code: e.code, message: e.message };
    }
    const record = await runner.current().catch(() => undefined);
    // What the boot-time check would do now (read-only: nothing is written or logged).
    const bootCheck = await checkBootState(runner, resolveOptional(agent.container, TOKENS.Bootloader), agent.logger, { dryRun: true });
    const installed = await runner.installed({ persist: false });
    const last = await runner.lastResult().catch(() => undefined);
    const daemon = await daemonStatus(agent.platform, agent.config.daemon.controlSocket);
    const doc = {
      booted: boot?.booted ?? null,
      committed: boot?.committed ?? null,
      trial: boot?.trial ?? false,
      armed: boot?.armed ?? null,
      state: record ? record.state : "idle",
      deployment: record
        ? {
            id: record.deployment.id,
            artifactName: record.download?.artifactName ?? record.deployment.artifactName,
            state: record.state,
            storeCount: record.storeCount,
            standalone: record.standalone,
            startedAt: record.startedAt,
            error: record.error ?? null,
          }
        : null,
      artifact: { name: installed.artifactName, group: installed.artifactGroup ?? null, provides: flattenProvides(installed) },
      lastResult: last ?? null,
      // What the running daemon is doing (phase, next check, last check), or null when none runs.
      daemon,
      ...(bootError ? { bootError } : {}),
      bootCheck,
    };
    if (ctx.io.json) {
      ctx.io.stdout.write(JSON.stringify(doc, null, 2) + "\n");
      return EXIT.OK;
    }
    const row = (k: string, v: string): string => `${k.padEnd(11)} ${v}\n`;
    let out = "";
    out += row("booted", boot ? `${boot.booted}${boot.trial ? " (trial boot)" : ""}` : bootError ? `unknown (${bootError.code})` : "- (no bootloader plugin)");
    out += row("committed", boot ? boot.committed : "-");
    out += row("armed", boot?.armed ?? "-");
    out += row("artifact", installed.artifactName + (installed.artifactGroup ? ` (group ${installed.artifactGroup})` : ""));
    out += row("deployment", record ? `${doc.deployment!.artifactName || record.deployment.uri} at ${record.state} (id ${record.deployment.id})` : "none in progress");
    out += row("daemon", daemon ? describeDaemon(daemon) : "not running");
    out += row("last", last ? `${last.artifactName}: ${last.result}${last.error ? ` (${last.error.code})` : ""} at ${last.finishedAt}` : "-");
    ctx.io.stdout.write(out);
    return EXIT.OK;
  },
};

/** Asks a running daemon for its view (over the control socket); null when none runs. */
async function daemonStatus(platform: Platform, socketPath: string): Promise<Record<string, unknown> | null> {
  const { sendControlRequest, NO_DAEMON } = await import("../../control/control-client.js");
  try {
    const answer = await sendControlRequest(platform, socketPath, "status", { timeoutMs: 3_000 });
    return answer === NO_DAEMON ? null : (answer as Record<string, unknown>);
  } catch (err) {
    const e = asOtaError(err, "OTA_ERR_DAEMON_CONTROL", "daemon status");
    return { error: { code: e.code, message: e.message } };
  }
}

function describeDaemon(d: Record<string, unknown>): string {
  if (d["error"]) return `unreachable (${(d["error"] as { code: string }).code})`;
  const dep = d["deployment"] as { id: string; state?: string } | undefined;
  const next = typeof d["nextCheckAt"] === "string" ? `, next check ${d["nextCheckAt"]}` : "";
  return `pid ${String(d["pid"])}, ${String(d["phase"])}${dep ? ` (deployment ${dep.id}${dep.state ? ` at ${dep.state}` : ""})` : ""}${next}`;
}
