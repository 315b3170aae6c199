// The simulated device's `systemctl`: answers from the state the firmware model wrote at boot.
// Reads <sysroot>/run/sim/systemd.json ({ "state": "running"|"degraded"|..., "units": { name: activeState } });
// the sysroot comes from OTA_SIM_SYSROOT (set by SimPlatform.run) or from this script's device folder.
// Supports: is-system-running [--wait], is-active UNIT..., is-failed UNIT..., list-units --failed, reboot [ARG],
// --version.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const argv = process.argv.slice(2).filter((a) => a !== "--quiet" && a !== "-q" && a !== "--no-pager");
const quiet = process.argv.includes("--quiet") || process.argv.includes("-q");
const binDir = dirname(process.argv[1]);
const deviceDir = dirname(binDir);
const sysroot = process.env.OTA_SIM_SYSROOT || join(deviceDir, "sysroot");

function load() {
  const file = join(sysroot, "run/sim/systemd.json");
  if (!existsSync(file)) return { state: "offline", units: {} };
  return JSON.parse(readFileSync(file, "utf8"));
}
function say(line) {
  if (!quiet) process.stdout.write(line + "\n");
}

const [verb, ...rest] = argv;
const st = load();
switch (verb) {
  case "is-system-running": {
    say(st.state);
    process.exit(st.state === "running" ? 0 : 1);
    break;
  }
  case "is-active":
  case "is-failed": {
    const units = rest.filter((a) => !a.startsWith("-"));
    let ok = units.length > 0;
    for (const u of units) {
      const name = u.includes(".") ? u : `${u}.service`;
      const state = st.units?.[name] ?? "inactive";
      say(state);
      if (verb === "is-active" ? state !== "active" : state !== "failed") ok = false;
    }
    process.exit(ok ? 0 : verb === "is-active" ? 3 : 1);
    break;
  }
  case "list-units": {
    // Only `list-units --failed [--plain --no-legend]`: one failed unit per line.
    if (!rest.includes("--failed")) {
      process.stderr.write("sim systemctl: list-units supports only --failed\n");
      process.exit(1);
    }
    for (const [name, state] of Object.entries(st.units ?? {})) {
      if (state === "failed") say(`${name} loaded failed failed ${name}`);
    }
    break;
  }
  case "reboot": {
    const arg = rest.length > 0 ? rest.join(" ") : undefined;
    mkdirSync(join(deviceDir, "firmware"), { recursive: true });
    const file = join(deviceDir, "firmware", "reboot-request.json");
    writeFileSync(`${file}.tmp`, JSON.stringify({ arg }) + "\n");
    renameSync(`${file}.tmp`, file);
    break;
  }
  case "--version":
    say("systemd 252 (ota-agent simulator)");
    break;
  default:
    process.stderr.write(`sim systemctl: unsupported command: ${argv.join(" ")}\n`);
    process.exit(1);
}
