// `ota-agent machine-id-sync`: the command run by ota-agent-machine-id-sync.service.
import type { CliCommand, CliIo } from "../../core/capabilities/cli-command.js";
import type { MachineIdSync } from "./machine-id-sync.js";

/** `ota-agent machine-id-sync`: run by ota-agent-machine-id-sync.service; prints the outcome. */
export class MachineIdSyncCommand implements CliCommand {
  readonly name = "machine-id-sync";
  readonly summary = "keep one machine ID for both slots (persist on first boot, apply on later boots)";
  readonly usage = "ota-agent machine-id-sync [--json]";
  readonly readOnly = false;

  constructor(private readonly syncer: MachineIdSync) {}

  async run(args: readonly string[], io: CliIo): Promise<number> {
    if (args.some((arg) => arg !== "--json")) {
      io.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const outcome = await this.syncer.sync();
    io.stdout.write(io.json ? `${JSON.stringify({ outcome })}\n` : `machine-id: ${outcome}\n`);
    return 0;
  }
}
