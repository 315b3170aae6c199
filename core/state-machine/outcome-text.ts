// Turns a deployment outcome into what the CLI prints (one line for people, one object for --json).
import type { DeploymentOutcome } from "./deployment-runner.js";

/** A sentence an operator reads after `install`, `resume`, `commit` or `rollback`. */
export function describeOutcome(outcome: DeploymentOutcome): string {
  if (outcome.kind === "nothing") return "no deployment in progress";
  const name = outcome.artifactName || outcome.deploymentId;
  const why = outcome.error ? `: ${outcome.error.code} ${outcome.error.message}` : "";
  switch (outcome.kind) {
    case "rebooting":
      return outcome.rebootRequested
        ? `${name}: rebooting (${outcome.state}); run \`ota-agent resume\` after the reboot if no daemon does`
        : `${name}: installed and armed; run \`ota-agent resume\` to reboot into the trial`;
    case "success":
      return `${name}: installed and committed`;
    case "rolled-back":
      return `${name}: failed and rolled back${why}`;
    case "inconsistent":
      return `${name}: failed, rollback incomplete (artifact marked _INCONSISTENT)${why}`;
    case "failure":
      return `${name}: failed, nothing installed${why}`;
  }
}

/** The --json document of an outcome. */
export function outcomeDocument(outcome: DeploymentOutcome): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...outcome, ok: outcome.kind === "success" || outcome.kind === "rebooting" };
  delete doc.download;
  return doc;
}
