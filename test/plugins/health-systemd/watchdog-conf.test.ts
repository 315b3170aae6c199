// The shipped systemd watchdog drop-in arms a watchdog the Raspberry Pi's bcm2835-wdt can actually honour.
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const CONF = resolve(import.meta.dirname, "../../../systemd/system.conf.d/10-ota-agent-watchdog.conf");
/** bcm2835-wdt's max_timeout in seconds: a larger value is refused and leaves the device unguarded. */
const BCM2835_MAX_SECONDS = 15;

function seconds(value: string): number {
  const m = /^(\d+)(s|sec|min|m)?$/.exec(value.trim());
  if (!m) throw new Error(`unparsable time span ${value}`);
  return Number(m[1]) * (m[2] === "min" || m[2] === "m" ? 60 : 1);
}

async function managerSettings(): Promise<Map<string, string>> {
  const settings = new Map<string, string>();
  let section = "";
  for (const raw of (await readFile(CONF, "utf8")).split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1] ?? "";
    else if (section === "Manager") settings.set(line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1));
  }
  return settings;
}

describe("systemd/system.conf.d/10-ota-agent-watchdog.conf", () => {
  it("arms the runtime and reboot watchdogs within the bcm2835 watchdog's limit", async () => {
    const s = await managerSettings();
    for (const key of ["RuntimeWatchdogSec", "RebootWatchdogSec"]) {
      const v = seconds(s.get(key) ?? "0");
      expect(v, key).toBeGreaterThan(0);
      expect(v, key).toBeLessThanOrEqual(BCM2835_MAX_SECONDS);
    }
  });

  it("is picked up by systemd as a system.conf drop-in once installed", async () => {
    // Installed like a package does, under a throw-away root; systemd-analyze lists the drop-ins it would read.
    const root = await mkdtemp(join(tmpdir(), "ota-wd-"));
    try {
      await mkdir(join(root, "usr/lib/systemd/system.conf.d"), { recursive: true });
      await copyFile(CONF, join(root, "usr/lib/systemd/system.conf.d", basename(CONF)));
      const r = await promisify(execFile)("systemd-analyze", ["cat-config", "--root", root, "systemd/system.conf"]);
      expect(r.stdout).toContain(`usr/lib/systemd/system.conf.d/${basename(CONF)}`);
      expect(r.stdout).toMatch(/^\[Manager\]\nRuntimeWatchdogSec=15s$/m);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
