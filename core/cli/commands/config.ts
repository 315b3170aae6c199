// `ota-agent config`: the effective configuration (file, defaults and overrides) with secrets redacted.
import type { CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";
import { redactConfig } from "../../config/redact-config.js";

export const configCommand: CoreCommand = {
  name: "config",
  summary: "print the effective configuration, defaults applied and secrets redacted",
  usage:
    "ota-agent config [--json]\n\nPrints the configuration the agent would run with: the file (or defaults when the\n" +
    "default file is missing), --sysroot, OTA_AGENT_LOG_LEVEL and --log-level applied. Secrets are redacted.",
  readOnly: true,
  async run(args, ctx) {
    rejectArgs("config", args);
    const loaded = await ctx.config();
    const config = redactConfig(loaded.config);
    if (ctx.io.json) {
      ctx.io.stdout.write(JSON.stringify({ path: loaded.path, fromFile: loaded.fromFile, config }, null, 2) + "\n");
      return EXIT.OK;
    }
    const source = loaded.fromFile ? loaded.path : `${loaded.path} (not found: defaults)`;
    ctx.io.stdout.write(`# ${source}\n${JSON.stringify(config, null, 2)}\n`);
    return EXIT.OK;
  },
};
