// The reason the daemon aborts its work with on SIGTERM: a halt, so deployments stop where they are, unfailed.
import { PLATFORM_HALT } from "../state-machine/halt.js";

/**
 * Marked like a platform halt (a reboot, a power cut): the state machine passes it through every catch instead of
 * turning it into a Failure, so the deployment record stays at its last saved state and the next start resumes
 * from there (a download restarts as a failed deployment, reported; after ArtifactInstall the rollback path).
 */
export class AgentStopping extends Error {
  readonly [PLATFORM_HALT] = true;

  constructor(readonly signalName: string) {
    super(`the agent is stopping (${signalName})`);
    this.name = "AgentStopping";
  }
}
