// CheckCommit: after an interrupted ArtifactCommit, tells a commit that landed from one that did not.
import { OtaError } from "../../errors/index.js";
import type { DeploymentContext } from "../deployment-context.js";
import type { StateEvent } from "../events.js";
import { DeploymentState } from "../state.js";
import { EVENTS } from "../../logging/event-ids.js";

/**
 * The bootloader's commit is one atomic write, but the record saying "committed" is a second one: a power cut
 * between them leaves a device that boots the new slot as committed while the record still says ArtifactCommit.
 * Rolling back then would fight the firmware (the "old" slot is no longer the default). So: when the boot state
 * shows the expected slot booted AND committed, the commit landed → AfterCommit; anything else → rollback.
 */
export class CheckCommitState extends DeploymentState {
  readonly name = "CheckCommit" as const;

  protected async enter(ctx: DeploymentContext): Promise<StateEvent> {
    const bootloader = ctx.services.bootloader;
    const slots = ctx.record.slots;
    if (bootloader && slots && ctx.record.progress.rebootStarted) {
      const boot = await bootloader.state();
      if (boot.booted === slots.to && boot.committed === slots.to) {
        ctx.record.progress.committed = true;
        ctx.note("info", `commit of slot ${slots.to} had landed before the interruption`, { event: EVENTS.commitDone });
        return "Success";
      }
    }
    throw new OtaError("OTA_ERR_STATE_RECORD_INVALID", "interrupted during ArtifactCommit before the commit landed");
  }
}
