// The machine-id BootTask: the early-boot sync of the machine ID.
import type { BootPhase, BootTask, BootTaskContext } from "../../core/capabilities/boot-task.js";
import type { MachineIdSync } from "./machine-id-sync.js";

export class MachineIdTask implements BootTask {
  readonly name = "machine-id";
  readonly phases: readonly BootPhase[] = ["early"];

  constructor(private readonly syncer: MachineIdSync) {}

  async run(_ctx: BootTaskContext): Promise<void> {
    await this.syncer.sync();
  }
}
