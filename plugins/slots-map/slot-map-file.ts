// Parses /boot/slot.map: `KEY=KIND:NAME:PART` lines for a.boot, a.system, b.boot, b.system (rpi-slot-static's format).
import { OtaError } from "../../core/errors/index.js";

export type SlotMapKey = "a.boot" | "a.system" | "b.boot" | "b.system";
export const SLOT_MAP_KEYS: readonly SlotMapKey[] = ["a.boot", "a.system", "b.boot", "b.system"];

/** KIND "" = a partition of the boot disk; "mapper" = /dev/mapper/<name><part> (or kpartx's <name>p<part>). */
export interface SlotMapTriplet {
  kind: "" | "mapper";
  name: string;
  part: number;
  /** The line it came from (1-based), for messages. */
  line: number;
}

export type SlotMap = Record<SlotMapKey, SlotMapTriplet>;

function bad(path: string, line: number, what: string): OtaError {
  return new OtaError("OTA_ERR_SLOT_MAP_INVALID", `${path} line ${line}: ${what}`, { details: { path, line } });
}

/**
 * Lines are trimmed; blank lines and lines starting with # are skipped; every other line must be KEY=VALUE.
 * Unknown keys are ignored (as rpi-slot-static does); a key given twice is an error (rpi-slot-static would take the
 * last one silently). All four keys are required.
 */
export function parseSlotMap(text: string, path = "/boot/slot.map"): SlotMap {
  const found: Partial<SlotMap> = {};
  text.split("\n").forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/\r/g, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq < 0) throw bad(path, lineNo, `"${line}" is not KEY=KIND:NAME:PART`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!(SLOT_MAP_KEYS as readonly string[]).includes(key)) return;
    const k = key as SlotMapKey;
    if (found[k]) throw bad(path, lineNo, `${k} is given twice (first on line ${found[k].line})`);
    const parts = value.split(":");
    if (parts.length !== 3) throw bad(path, lineNo, `${k}="${value}" is not KIND:NAME:PART`);
    const [kind, name, part] = parts as [string, string, string];
    if (!/^[0-9]+$/.test(part) || Number(part) === 0) {
      throw bad(path, lineNo, `${k}: partition "${part}" is not a positive decimal number`);
    }
    if (kind !== "" && kind !== "mapper") throw bad(path, lineNo, `${k}: unknown kind "${kind}" (expected "" or mapper)`);
    if (kind === "mapper" && name === "") throw bad(path, lineNo, `${k}: a mapper entry needs a NAME`);
    found[k] = { kind, name, part: Number(part), line: lineNo };
  });
  const missing = SLOT_MAP_KEYS.filter((k) => !found[k]);
  if (missing.length > 0) {
    throw new OtaError("OTA_ERR_SLOT_MAP_INVALID", `${path}: missing ${missing.join(", ")} (all four keys are required)`, {
      details: { path, missing },
    });
  }
  return found as SlotMap;
}
