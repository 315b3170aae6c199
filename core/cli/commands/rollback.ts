// `ota-agent rollback`: abandons the deployment in progress before its commit, through the rollback path.
import type { CoreCommand } from "../core-command.js";
import { runDeploymentCommand } from "./resume.js";

export const rollbackCommand: CoreCommand = {
  name: "rollback",
  summary: "abandon the uncommitted deployment in progress: disarm, reboot back if in the trial, report failure",
  usage: `ota-agent rollback [--json]

Rolls the deployment in progress back: disarms the trial, and when the device runs the trial, reboots into the
committed slot (run \`ota-agent resume\` after that reboot to finish). Refused once the deployment has committed.

Exit codes: 0 rolled back or rebooting back, 1 rollback incomplete, 3 nothing in progress`,
  readOnly: false,
  run: (args, ctx) => runDeploymentCommand("rollback", args, ctx),
};
