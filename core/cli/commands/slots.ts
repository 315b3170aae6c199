// `ota-agent slots`: which partitions are the active and the other slot, as the loaded slot resolver sees them.
import type { CoreCommand } from "../core-command.js";
import type { SlotDevices, SlotLayout } from "../../capabilities/slot-resolver.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";
import { TOKENS } from "../../di/tokens.js";
import { resolveOptional } from "../../di/resolve.js";
import { OtaError } from "../../errors/ota-error.js";

/** The JSON document; device paths are as the device sees them (never host paths under --sysroot). */
export function slotsDocument(layout: SlotLayout): Record<string, unknown> {
  const slot = (s: SlotDevices) => ({ slot: s.slot, boot: s.boot, system: s.system, bootPartition: s.bootPartition });
  return {
    scheme: layout.scheme,
    bootDisk: layout.bootDisk,
    active: slot(layout.active),
    other: slot(layout.other),
    bootconfig: layout.bootconfig ?? null,
    persistent: layout.persistent ?? null,
    reason: layout.reason,
  };
}

function human(layout: SlotLayout): string {
  const row = (k: string, v: string): string => `${k.padEnd(11)} ${v}\n`;
  const slot = (s: SlotDevices): string => `${s.slot}  boot ${s.boot} (partition ${s.bootPartition})  system ${s.system}`;
  return (
    row("scheme", `${layout.scheme} on ${layout.bootDisk}`) +
    row("active", slot(layout.active)) +
    row("other", slot(layout.other)) +
    row("bootconfig", layout.bootconfig ?? "-") +
    row("persistent", layout.persistent ?? "-") +
    row("reason", layout.reason)
  );
}

export const slotsCommand: CoreCommand = {
  name: "slots",
  summary: "show the active and the other slot's partitions, bootconfig and persistent, and why",
  usage:
    "ota-agent slots [--json] [--sysroot DIR]\n\nResolves the A/B layout with the loaded slot resolver (slots-gpt by default)\n" +
    "and prints it. Exits 1 with an OTA_ERR_SLOT_* code when the layout is ambiguous or broken: a disagreement\n" +
    "between the partition table, slot.map and /dev/disk/by-slot links is an error, never a guess.",
  readOnly: true,
  async run(args, ctx) {
    rejectArgs("slots", args);
    const agent = await ctx.agent();
    const resolver = resolveOptional(agent.container, TOKENS.SlotResolver);
    if (!resolver) {
      throw new OtaError("OTA_ERR_CAPABILITY_MISSING", "slots: no slot-resolver plugin is loaded (enable slots-gpt or slots-map)", {
        details: { capability: "slot-resolver" },
      });
    }
    const layout = await resolver.resolve();
    ctx.io.stdout.write(ctx.io.json ? JSON.stringify(slotsDocument(layout), null, 2) + "\n" : human(layout));
    return EXIT.OK;
  },
};
