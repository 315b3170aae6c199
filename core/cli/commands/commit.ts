// `ota-agent commit`: commits the trial the device runs now (verify and health-check first), like `mender commit`.
import type { CoreCommand } from "../core-command.js";
import { runDeploymentCommand } from "./resume.js";

export const commitCommand: CoreCommand = {
  name: "commit",
  summary: "commit the running trial of the deployment in progress (after verify and health checks)",
  usage: `ota-agent commit [--json]

Commits the deployment in progress once its trial boot runs: verifies the booted slot is the new one as a trial,
runs the health checks, then makes it the committed slot and stores the new provides. A failed check rolls back.
Refused (OTA_ERR_STATE_NOT_APPLICABLE) before the trial reboot: use \`ota-agent resume\` for that.

Exit codes: 0 committed, 1 failed (rolled back), 3 nothing in progress`,
  readOnly: false,
  run: (args, ctx) => runDeploymentCommand("commit", args, ctx),
};
