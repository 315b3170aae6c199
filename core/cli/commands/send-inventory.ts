// `ota-agent send-inventory`: makes the running daemon send its inventory now; without a daemon, sends it itself.
import type { CoreCommand } from "../core-command.js";
import type { InventoryResult } from "../../scheduler/update-scheduler.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";

const USAGE = `ota-agent send-inventory [--json]

Sends the device inventory (every inventory-provider plugin plus the server plugin's inventory scripts) to the
fleet server now: through the running daemon when there is one, else directly.
Exit codes: 0 sent, 1 failed (the error line gives the OTA_ERR_SERVER_* code)`;

export const sendInventoryCommand: CoreCommand = {
  name: "send-inventory",
  summary: "send the device inventory to the fleet server now (through the daemon when it runs)",
  usage: USAGE,
  readOnly: false,
  lock: false,
  async run(args, ctx) {
    rejectArgs("send-inventory", args.filter((a) => a !== "--json"));
    const { config } = await ctx.config();
    const platform = await ctx.platform();
    const { sendControlRequest, NO_DAEMON } = await import("../../control/control-client.js");
    const answer = await sendControlRequest(platform, config.daemon.controlSocket, "send-inventory", { timeoutMs: 300_000 });
    let result: InventoryResult;
    let via: "daemon" | "standalone";
    if (answer !== NO_DAEMON) {
      result = answer as typeof result;
      via = "daemon";
    } else {
      via = "standalone";
      const agent = await ctx.agent();
      const log = await ctx.logger();
      const [{ resolveUpdateSource }, { asOtaError }] = await Promise.all([import("../../scheduler/update-source.js"), import("../../errors/index.js")]);
      const { server } = await resolveUpdateSource(agent.container, agent.config, log);
      try {
        await server.authenticate();
        await server.sendInventory({});
        result = { kind: "sent", nextInMs: 0 };
      } catch (err) {
        const e = asOtaError(err, "OTA_ERR_INTERNAL", "inventory");
        result = { kind: "error", code: e.code, message: e.message, nextInMs: 0 };
      }
    }
    if (ctx.io.json) ctx.io.stdout.write(JSON.stringify({ via, ...result }) + "\n");
    else ctx.io.stdout.write(result.kind === "sent" ? `inventory sent (${via})\n` : `inventory failed (${via}): ${result.code}: ${result.message}\n`);
    return result.kind === "sent" ? EXIT.OK : EXIT.FAILURE;
  },
};
