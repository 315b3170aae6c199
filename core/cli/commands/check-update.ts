// `ota-agent check-update`: makes the running daemon poll now; without a daemon, asks the server once and reports.
import type { CoreCommand } from "../core-command.js";
import type { CheckResult } from "../../scheduler/update-scheduler.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";

const USAGE = `ota-agent check-update [--json]

With a daemon running: it polls now (any trigger — a push from a management channel, a cron job — can call this)
and the command prints what the poll found: a deployment (which the daemon then runs), no update, or that a
deployment is already in progress. Without a daemon: asks the server (or the self-update source) once and prints
what it offers, installing nothing (start the daemon, or use ota-agent install <uri>).

Exit codes: 0 a deployment was found (or one is in progress), 3 no update, 1 the check failed`;

export const checkUpdateCommand: CoreCommand = {
  name: "check-update",
  summary: "make the daemon check for an update now (or, without a daemon, ask the server once)",
  usage: USAGE,
  readOnly: false,
  lock: false,
  async run(args, ctx) {
    rejectArgs("check-update", args.filter((a) => a !== "--json"));
    const { config } = await ctx.config();
    const platform = await ctx.platform();
    const [{ sendControlRequest, NO_DAEMON }, { describeCheck }] = await Promise.all([
      import("../../control/control-client.js"),
      import("../../scheduler/update-scheduler.js"),
    ]);
    // A poll may sit in its server's timeouts and retries: wait as long as a slow server can take.
    const answer = await sendControlRequest(platform, config.daemon.controlSocket, "check-update", { timeoutMs: 300_000 });
    let result: CheckResult;
    let via: "daemon" | "standalone";
    if (answer !== NO_DAEMON) {
      result = answer as typeof result;
      via = "daemon";
    } else {
      result = await checkOnce(ctx);
      via = "standalone";
    }
    if (ctx.io.json) ctx.io.stdout.write(JSON.stringify({ via, ...result }) + "\n");
    else ctx.io.stdout.write(`${via === "daemon" ? "daemon" : "no daemon running"}: ${describeCheck(result)}\n`);
    switch (result.kind) {
      case "nothing":
        return EXIT.NOTHING_TO_DO;
      case "error":
        return EXIT.FAILURE;
      default:
        return EXIT.OK;
    }
  },
};

async function checkOnce(ctx: Parameters<CoreCommand["run"]>[1]): Promise<CheckResult> {
  const agent = await ctx.agent();
  const log = await ctx.logger();
  const [{ resolveUpdateSource }, { resolve }, { TOKENS }, { flattenProvides }, { asOtaError }] = await Promise.all([
    import("../../scheduler/update-source.js"),
    import("../../di/resolve.js"),
    import("../../di/tokens.js"),
    import("../../state-machine/provides.js"),
    import("../../errors/index.js"),
  ]);
  const { server } = await resolveUpdateSource(agent.container, agent.config, log);
  const runner = resolve(agent.container, TOKENS.DeploymentRunner);
  const current = await runner.current().catch(() => undefined);
  if (current) return { kind: "busy", deploymentId: current.deployment.id, state: current.state };
  try {
    await server.authenticate();
    const installed = await runner.installed({ persist: false });
    const next = await server.nextDeployment({ deviceType: agent.info.deviceType ?? "", artifactName: installed.artifactName, provides: flattenProvides(installed) });
    if ("id" in next) return { kind: "deployment", deploymentId: next.id, artifactName: next.artifactName };
    return { kind: "nothing", nextCheckInMs: next.retryAfterMs ?? 0 };
  } catch (err) {
    const e = asOtaError(err, "OTA_ERR_INTERNAL", "update check");
    return { kind: "error", code: e.code, message: e.message, nextCheckInMs: 0 };
  }
}
