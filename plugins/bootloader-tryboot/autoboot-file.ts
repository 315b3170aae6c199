// autoboot.txt as data: what the firmware would apply, and the rpi-slot-tryboot-format text for a boot choice.
//
// Reading follows the firmware's config.txt rules: lines apply in order while the current filter matches ([all]
// always, [tryboot] only on a tryboot, [none] and others never; lines before any filter apply); the last applying
// line for a key wins; comments and blank lines are ignored.
//
// Writing keeps what we do not own: the keys `boot_partition` and `tryboot_a_b` in the applying sections ([all],
// [tryboot], the preamble) are ours and are rewritten; every other line stays in its section, in order. Sections
// are emitted as [all] (preamble and every [all] merged), [tryboot], then the rest in their original order. With
// no foreign lines the output is byte-for-byte rpi-slot-tryboot's fragment.

/** The firmware's limit on autoboot.txt. */
export const AUTOBOOT_MAX_BYTES = 512;

export interface BootChoice {
  /** `[all] boot_partition`: the committed boot partition. */
  committed: number;
  /** `[tryboot] boot_partition`: what a "0 tryboot" reboot starts (== committed when disarmed). */
  tryboot: number;
}

/** Settings the firmware applies on a normal start (`tryboot` false) or a tryboot. */
export function applyingSettings(text: string, tryboot: boolean): Map<string, string> {
  const out = new Map<string, string>();
  let applies = true;
  for (const raw of text.slice(0, AUTOBOOT_MAX_BYTES).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const filter = sectionName(line);
    if (filter !== undefined) {
      applies = filter === "all" || (filter === "tryboot" && tryboot);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && applies) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** A partition number setting, or undefined when absent or not a plain decimal. */
export function partitionSetting(settings: Map<string, string>): number | undefined {
  const v = settings.get("boot_partition");
  return v !== undefined && /^\d{1,3}$/.test(v) ? Number(v) : undefined;
}

/** The text for `choice`, keeping foreign lines of `previous` (see the file comment). */
export function renderAutoboot(choice: BootChoice, previous = ""): string {
  const foreign: { name: string; lines: string[] }[] = [];
  const all: string[] = [];
  const tryboot: string[] = [];
  let current: string[] = all;
  for (const raw of previous.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    const filter = sectionName(line);
    if (filter !== undefined) {
      if (filter === "all") current = all;
      else if (filter === "tryboot") current = tryboot;
      else {
        const section = { name: line, lines: [] as string[] };
        foreign.push(section);
        current = section.lines;
      }
      continue;
    }
    const key = line.includes("=") ? line.slice(0, line.indexOf("=")).trim() : "";
    const owned = (current === all || current === tryboot) && (key === "boot_partition" || key === "tryboot_a_b");
    if (!owned) current.push(line);
  }
  const out = [
    "[all]",
    "tryboot_a_b=1",
    `boot_partition=${choice.committed}`,
    ...all,
    "[tryboot]",
    `boot_partition=${choice.tryboot}`,
    ...tryboot,
  ];
  for (const s of foreign) out.push(s.name, ...s.lines);
  return out.join("\n") + "\n";
}

function sectionName(line: string): string | undefined {
  const m = /^\[([^\]]*)\]$/.exec(line);
  return m ? (m[1] ?? "").trim().toLowerCase() : undefined;
}
