// `ota-agent tryboot-fragment`: prints rpi-slot-tryboot's autoboot.txt for the running layout; writes nothing.
import type { CliCommand, CliIo } from "../../core/capabilities/cli-command.js";
import { OtaError } from "../../core/errors/index.js";
import type { TrybootBootloader } from "./tryboot-bootloader.js";

export class TrybootFragmentCommand implements CliCommand {
  readonly name = "tryboot-fragment";
  readonly summary = "print the autoboot.txt that makes the running slot the default and the other slot the trial";
  readonly usage = [
    "usage: ota-agent tryboot-fragment [--json]",
    "",
    "Prints, exactly as rpi-image-gen's rpi-slot-tryboot does:",
    "  [all] tryboot_a_b=1, boot_partition=<active> / [tryboot] boot_partition=<other>",
    "Partition numbers come from the slot resolver. Nothing is written.",
  ].join("\n");
  readonly readOnly = true;

  constructor(private readonly bootloader: TrybootBootloader) {}

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const unknown = args.filter((a) => a !== "--json");
    if (unknown.length > 0) {
      throw new OtaError("OTA_ERR_USAGE", `tryboot-fragment takes no arguments (got ${unknown.join(" ")})\n${this.usage}`);
    }
    const text = await this.bootloader.fragment();
    if (io.json || args.includes("--json")) io.stdout.write(JSON.stringify({ fragment: text }) + "\n");
    else io.stdout.write(text);
    return 0;
  }
}
