// Boot and system images for the simulated device: a marker up front says which version it is and how it behaves.
//
// Marker format (first bytes of the image, the rest is filler):
//   "OTA-SIM-SYSTEM v1\n" + JSON + "\n"      for a system image
//   "OTA-SIM-BOOT v1\n"   + JSON + "\n"      for a boot image
// The firmware model reads the boot marker of the chosen boot partition (a blank or torn boot partition is not
// bootable) and the system marker of the system partition paired with it (p2→p4, p3→p5).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** How a system image behaves once the firmware starts it. */
export type SlotBehaviour = "boots" | "panics" | "hangs" | "unhealthy";

export interface SlotMarker {
  version: string;
  behaviour: SlotBehaviour;
  /** Units the simulated systemd reports, e.g. { "app.service": "failed" }; merged over the defaults. */
  units?: Record<string, string>;
}

export interface SlotImageOptions {
  version: string;
  behaviour?: SlotBehaviour;
  units?: Record<string, string>;
  /** Size of the boot image. Default 1 MiB (must fit the sim's boot partition, 4 MiB by default). */
  bootBytes?: number;
  /** Size of the system image. Default 2 MiB (must fit the system partition, 8 MiB by default). */
  systemBytes?: number;
  /** Filler after the marker: zeros (compress to nothing) or a pattern derived from the version. Default zeros. */
  fill?: "zero" | "pattern";
}

export interface SlotImages {
  boot: Buffer;
  system: Buffer;
  marker: SlotMarker;
}

const SYSTEM_MAGIC = "OTA-SIM-SYSTEM v1\n";
const BOOT_MAGIC = "OTA-SIM-BOOT v1\n";
/** Markers never exceed this many bytes; readers read only this much. */
export const MARKER_MAX_BYTES = 4096;

/** Builds a boot and a system image carrying the given version and behaviour. */
export function makeSlotImages(options: SlotImageOptions): SlotImages {
  const marker: SlotMarker = {
    version: options.version,
    behaviour: options.behaviour ?? "boots",
    ...(options.units ? { units: options.units } : {}),
  };
  const json = JSON.stringify(marker);
  const system = image(SYSTEM_MAGIC + json + "\n", options.systemBytes ?? 2 * 1024 * 1024, options);
  const boot = image(BOOT_MAGIC + JSON.stringify({ version: options.version }) + "\n", options.bootBytes ?? 1024 * 1024, options);
  return { boot, system, marker };
}

/** Writes makeSlotImages' result to `<dir>/boot.img` and `<dir>/system.img` and returns their paths. */
export async function makeSlotImageFiles(
  dir: string,
  options: SlotImageOptions,
): Promise<{ boot: string; system: string; marker: SlotMarker }> {
  const images = makeSlotImages(options);
  const boot = join(dir, "boot.img");
  const system = join(dir, "system.img");
  await writeFile(boot, images.boot);
  await writeFile(system, images.system);
  return { boot, system, marker: images.marker };
}

/** Parses the system marker at the start of `head`; undefined when absent or damaged. */
export function parseSystemMarker(head: Buffer): SlotMarker | undefined {
  const json = parseMarkerJson(head, SYSTEM_MAGIC);
  if (!json || typeof json.version !== "string") return undefined;
  const behaviour = json.behaviour;
  if (behaviour !== "boots" && behaviour !== "panics" && behaviour !== "hangs" && behaviour !== "unhealthy") return undefined;
  const units = json.units && typeof json.units === "object" ? (json.units as Record<string, string>) : undefined;
  return { version: json.version, behaviour, ...(units ? { units } : {}) };
}

/** Parses the boot marker; undefined when the partition holds no (intact) boot image. */
export function parseBootMarker(head: Buffer): { version: string } | undefined {
  const json = parseMarkerJson(head, BOOT_MAGIC);
  return json && typeof json.version === "string" ? { version: json.version } : undefined;
}

function parseMarkerJson(head: Buffer, magic: string): Record<string, unknown> | undefined {
  const text = head.subarray(0, MARKER_MAX_BYTES).toString("latin1");
  if (!text.startsWith(magic)) return undefined;
  const end = text.indexOf("\n", magic.length);
  if (end < 0) return undefined;
  try {
    const v: unknown = JSON.parse(text.slice(magic.length, end));
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function image(header: string, size: number, options: SlotImageOptions): Buffer {
  const head = Buffer.from(header, "latin1");
  if (head.length > MARKER_MAX_BYTES || head.length > size) throw new Error(`slot image: marker does not fit ${size} bytes`);
  const buf = Buffer.alloc(size);
  if (options.fill === "pattern") {
    let x = 2166136261;
    for (const ch of options.version) x = Math.imul(x ^ ch.charCodeAt(0), 16777619) >>> 0;
    for (let i = 0; i < size; i += 4) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      if (i + 4 <= size) buf.writeUInt32LE(x, i);
    }
  }
  head.copy(buf, 0);
  return buf;
}
