// `ota-agent persistent-init [--slot system_X] [--shared]`: the early unit's entry (fresh /var swap, shared seeds).
import type { CliCommand, CliIo } from "../../core/capabilities/cli-command.js";
import type { PersistenceTask } from "./persistence-task.js";
import type { SystemSlot } from "./booted-system.js";

export class PersistentInitCommand implements CliCommand {
  readonly name = "persistent-init";
  readonly summary = "early boot: swap in a prepared fresh /var and seed slot-shared paths (run by a generated unit)";
  readonly usage = "ota-agent persistent-init [--slot system_a|system_b] [--shared]";
  readonly readOnly = false;

  constructor(private readonly task: PersistenceTask) {}

  async run(args: readonly string[], io: CliIo): Promise<number> {
    let slot: SystemSlot | undefined;
    let shared = false;
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i];
      if (arg === "--shared") shared = true;
      else if (arg === "--slot" && (args[i + 1] === "system_a" || args[i + 1] === "system_b")) {
        slot = args[i + 1] as SystemSlot;
        i += 1;
      } else {
        io.stderr.write(`usage: ${this.usage}\n`);
        return 2;
      }
    }
    await this.task.early({ slot, shared });
    return 0;
  }
}
