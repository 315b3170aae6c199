// A daemon stop (AgentStopping) at every state of a deployment: the run ends unfailed, the next start finishes it safely.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../../core/capabilities/deployment-server.js";
import { resolve } from "../../../core/di/resolve.js";
import { TOKENS } from "../../../core/di/tokens.js";
import { AgentStopping } from "../../../core/scheduler/agent-stopping.js";
import type { DeploymentOutcome } from "../../../core/state-machine/deployment-runner.js";
import { createSimHarness } from "../../helpers/scenario-sim.js";

/** States a stop can land in before the trial reboot (after it, the next start resumes as after any reboot). */
const STOP_AT = ["Download", "ArtifactInstall", "CheckReboot", "ArtifactReboot"] as const;

describe("a stop (SIGTERM) in the middle of a deployment", () => {
  it.each(STOP_AT)("stop-at-%s: no state is failed by the stop; the next start ends on a committed, bootable slot", async (stopAt) => {
    const h = await createSimHarness();
    try {
      const uri = await h.artifact({ name: "release-2", version: "v2" });
      const dep: Deployment = { id: `stop-${stopAt}`, artifactName: "", uri, policy: { download: "forced", update: "forced" }, server: "standalone" };
      const stop = new AbortController();
      const agent = await h.agent();
      let stopped: unknown;
      try {
        const runner = resolve(agent.container, TOKENS.DeploymentRunner);
        stopped = await runner
          .start(dep, { reboot: true, signal: stop.signal, onState: (s) => s === stopAt && stop.abort(new AgentStopping("SIGTERM")) })
          .catch((e: unknown) => e);
        // The stop passed through every catch: no failure was recorded and the record still says where it was.
        const record = await runner.current();
        expect(stopped).toBeInstanceOf(AgentStopping);
        expect(record?.error).toBeUndefined();
        expect(record?.state).toBe(stopAt === "CheckReboot" ? "ArtifactInstall" : stopAt);
      } finally {
        await agent.close();
      }
      expect(h.device.pendingReboot).toBeUndefined();

      // The next start (same boot: the daemon was restarted, not the device) takes the record's resume path.
      let outcome: DeploymentOutcome | undefined;
      for (let boots = 0; boots < 6; boots++) {
        const next = await h.agent();
        try {
          outcome = await resolve(next.container, TOKENS.DeploymentRunner).resume({ signal: new AbortController().signal });
        } catch (err) {
          if (!(err instanceof Error) || !/Sim(Halt|PowerCut)/.test(err.name)) throw err;
          outcome = undefined;
        } finally {
          await next.close();
        }
        if (outcome && outcome.kind !== "rebooting") break;
        await h.device.boot();
      }
      const boot = await h.device.autoboot();
      // A trial armed before the stop was disarmed by the rollback (the factory autoboot.txt is left as it was).
      if (stopAt !== "Download") expect(boot.trial).toBe(boot.committed);
      // Before the trial reboot nothing new may become the default: the deployment fails (Mender) and slot a stays.
      expect(outcome?.kind).toMatch(/^(failure|rolled-back)$/);
      expect(boot.committed).toBe("a");
    } finally {
      await h.close();
    }
  });
});
