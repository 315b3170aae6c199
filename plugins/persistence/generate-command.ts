// `ota-agent generate NORMAL EARLY LATE`: the systemd generator entry, running every BootTask's generator phase.
import type { BootTask } from "../../core/capabilities/boot-task.js";
import type { CliCommand, CliIo } from "../../core/capabilities/cli-command.js";
import type { Logger } from "../../core/logging/logger.js";

/**
 * Called by /usr/lib/systemd/system-generators/ota-agent-generator. Runs each task that declares the "generator"
 * phase; one failing task does not stop the others (a generator must emit what it can). Exit 0 when all succeeded,
 * 1 otherwise (systemd logs it and boots on), 2 on wrong arguments.
 */
export class GenerateCommand implements CliCommand {
  readonly name = "generate";
  readonly summary = "systemd generator: write mount units for the persistent partition, /var and shared paths";
  readonly usage = "ota-agent generate NORMAL_DIR EARLY_DIR LATE_DIR\n  (run by systemd as a generator, not by hand)";
  readonly readOnly = false;

  constructor(
    private readonly tasks: () => readonly BootTask[],
    private readonly log: Logger,
  ) {}

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const dirs = args.filter((arg) => !arg.startsWith("-"));
    if (dirs.length < 1 || dirs.length > 3) {
      io.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const normal = dirs[0]!;
    const generatorDirs = { normal, early: dirs[1] ?? normal, late: dirs[2] ?? normal };
    const signal = AbortSignal.timeout(60_000);
    let failed = 0;
    for (const task of this.tasks().filter((t) => t.phases.includes("generator"))) {
      try {
        await task.run({ phase: "generator", generatorDirs, signal });
      } catch (err) {
        failed += 1;
        this.log.error({ event: "boot-task.failed", task: task.name, phase: "generator", err }, `generator task ${task.name} failed`);
        io.stderr.write(`ota-agent generate: ${task.name}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  }
}
