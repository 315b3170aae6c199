// `ota-agent resume`: continues the deployment in progress — after the trial reboot: verify, health-check, commit.
import type { CommandContext, CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";
import { TOKENS } from "../../di/tokens.js";
import { resolve, resolveOptional } from "../../di/resolve.js";
import { OtaError } from "../../errors/index.js";
import type { DeploymentOutcome, ResumeOptions } from "../../state-machine/deployment-runner.js";
import { describeOutcome, outcomeDocument } from "../../state-machine/outcome-text.js";
import { checkBootState, describeBootCheck, type BootCheckResult } from "../../state-machine/boot-check.js";

/**
 * The shared body of `resume`, `commit` and `rollback`: run the runner's method with the loaded server (if any,
 * so a daemon-started deployment still reports), print the outcome, map it to an exit code.
 */
export async function runDeploymentCommand(
  action: "resume" | "commit" | "rollback",
  args: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  rejectArgs(action, args);
  const agent = await ctx.agent();
  const runner = resolve(agent.container, TOKENS.DeploymentRunner);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new OtaError("OTA_ERR_STATE_ABORTED", `${action} cancelled by signal`));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let outcome: DeploymentOutcome;
  try {
    const options: ResumeOptions = { signal: abort.signal };
    const server = resolveOptional(agent.container, TOKENS.DeploymentServer);
    if (server) options.server = server;
    outcome = await runner[action](options);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  // Nothing to resume: this boot is not a deployment's, so check the boot choice itself (see state-machine/boot-check.ts).
  let bootCheck: BootCheckResult | undefined;
  if (action === "resume" && outcome.kind === "nothing") {
    const log = (await ctx.logger()).child({ component: "boot-check" });
    bootCheck = await checkBootState(runner, resolveOptional(agent.container, TOKENS.Bootloader), log);
  }
  const note = bootCheck && describeBootCheck(bootCheck);
  ctx.io.stdout.write(
    ctx.io.json
      ? JSON.stringify({ ...outcomeDocument(outcome), ...(bootCheck ? { bootCheck } : {}) }) + "\n"
      : describeOutcome(outcome) + "\n" + (note ? note + "\n" : ""),
  );
  return exitCodeOf(action, outcome);
}

/** 0 when the asked-for thing happened (or is under way after a reboot), 3 when nothing was in progress, else 1. */
export function exitCodeOf(action: "resume" | "commit" | "rollback" | "install", outcome: DeploymentOutcome): number {
  switch (outcome.kind) {
    case "nothing":
      return EXIT.NOTHING_TO_DO;
    case "success":
    case "rebooting":
      return EXIT.OK;
    case "rolled-back":
      return action === "rollback" ? EXIT.OK : EXIT.FAILURE;
    default:
      return EXIT.FAILURE;
  }
}

export const resumeCommand: CoreCommand = {
  name: "resume",
  summary: "continue the deployment in progress (after a reboot: verify, health-check, commit or roll back)",
  usage: `ota-agent resume [--json]

Continues the deployment in progress from where it was saved: after the trial reboot it verifies that the new
slot runs as a trial, runs the health checks and commits (or rolls back and reports the failure); for an
install made without --reboot it performs the trial reboot. Run at boot by the daemon or ota-commit.service.
With nothing in progress it checks the boot choice (JSON key bootCheck): a broken autoboot.txt is rewritten with the
running slot as the disarmed default, a stray armed trial is disarmed, booted ≠ committed is reported.

Exit codes: 0 committed or rebooting, 1 the deployment failed (rolled back or inconsistent), 3 nothing in progress`,
  readOnly: false,
  run: (args, ctx) => runDeploymentCommand("resume", args, ctx),
};
