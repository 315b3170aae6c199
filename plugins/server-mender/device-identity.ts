// The device identity sent as `id_data`: an identity script's key=value lines, else the first Ethernet MAC.
import type { Platform } from "../../core/capabilities/platform.js";
import { OtaError } from "../../core/errors/index.js";
import { parseKeyValueLines, type KeyValues } from "./key-value-lines.js";

/**
 * Runs `script` (device path) when it exists and is executable; a failing or silent script is an error rather than a
 * silent fallback, because a different identity would register a different device. Without a script the identity is
 * `{ mac }` of the first physical Ethernet interface.
 */
export async function readDeviceIdentity(platform: Platform, script: string, timeoutMs: number, signal?: AbortSignal): Promise<KeyValues> {
  const stat = await platform.fs.stat(script);
  if (stat?.isFile) {
    if ((stat.mode & 0o111) === 0) {
      throw new OtaError("OTA_ERR_SERVER_IDENTITY", `identity script ${script} is not executable`);
    }
    const result = await platform.run(platform.path(script), [], { timeoutMs, signal, maxOutputBytes: 64 * 1024 });
    if (result.code !== 0 || result.timedOut) {
      throw new OtaError("OTA_ERR_SERVER_IDENTITY", `identity script ${script} failed (exit ${String(result.code)}${result.timedOut ? ", timed out" : ""})`, {
        details: { stderr: result.stderr.slice(-2000) },
      });
    }
    const identity = parseKeyValueLines(result.stdout);
    if (Object.keys(identity).length === 0) {
      throw new OtaError("OTA_ERR_SERVER_IDENTITY", `identity script ${script} printed no key=value line`);
    }
    return identity;
  }
  const mac = await firstEthernetMac(platform);
  if (mac === undefined) {
    throw new OtaError("OTA_ERR_SERVER_IDENTITY", `no identity script at ${script} and no Ethernet interface with a MAC under /sys/class/net`);
  }
  return { mac };
}

/** The MAC of the first non-virtual ARPHRD_ETHER interface, "e*" names first, then by name; undefined when none. */
export async function firstEthernetMac(platform: Platform): Promise<string | undefined> {
  let names: string[];
  try {
    names = await platform.fs.readdir("/sys/class/net");
  } catch {
    return undefined;
  }
  names.sort((a, b) => Number(!a.startsWith("e")) - Number(!b.startsWith("e")) || a.localeCompare(b));
  for (const name of names) {
    if (name === "lo") continue;
    const base = `/sys/class/net/${name}`;
    const link = await platform.fs.readlink(base).catch(() => "");
    if (link.includes("/virtual/")) continue;
    const type = (await platform.fs.readText(`${base}/type`).catch(() => undefined))?.trim();
    if (type !== undefined && type !== "1") continue;
    const mac = (await platform.fs.readText(`${base}/address`).catch(() => undefined))?.trim().toLowerCase();
    if (mac && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== "00:00:00:00:00:00") return mac;
  }
  return undefined;
}
