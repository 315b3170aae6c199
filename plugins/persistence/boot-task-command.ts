// `ota-agent boot-task NAME [PHASE]`: runs one BootTask's phase, for units that start one task (LUKS opening...).
import type { BootPhase, BootTask } from "../../core/capabilities/boot-task.js";
import type { CliCommand, CliIo } from "../../core/capabilities/cli-command.js";

const PHASES: readonly BootPhase[] = ["generator", "early", "post-commit"];

/**
 * The generator phase has `generate` and the persistence/machine-id early work has their own commands; this one
 * starts any other task by name (e.g. devmapper's `devmapper-luks-open` from ota-agent-luks-open.service). Only the
 * "early" phase makes sense from a unit: the generator phase needs systemd's directories, post-commit a commit.
 * Exit 0 done, 2 usage or unknown task / phase.
 */
export class BootTaskCommand implements CliCommand {
  readonly name = "boot-task";
  readonly summary = "run one boot task's early phase by name (used by units such as ota-agent-luks-open.service)";
  readonly usage = "ota-agent boot-task NAME [early]";
  readonly readOnly = false;

  constructor(private readonly tasks: () => readonly BootTask[]) {}

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const [name, phase = "early", ...rest] = args;
    const known = this.tasks();
    const task = known.find((t) => t.name === name);
    if (!name || rest.length > 0 || phase !== "early" || !PHASES.includes(phase) || !task || !task.phases.includes(phase)) {
      const names = known.filter((t) => t.phases.includes("early")).map((t) => t.name);
      io.stderr.write(`usage: ${this.usage}\n  tasks with an early phase: ${names.join(", ") || "(none loaded)"}\n`);
      return 2;
    }
    await task.run({ phase, signal: AbortSignal.timeout(10 * 60_000) });
    return 0;
  }
}
