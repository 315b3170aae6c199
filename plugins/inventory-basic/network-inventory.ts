// Inventory of network interfaces: `network_interfaces`, `mac_<iface>` from /sys/class/net, `ipv4_<iface>` (CIDR) from /proc/net.
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { Platform } from "../../core/capabilities/platform.js";

/**
 * sysfs has no IPv4 addresses, so they come from procfs: the kernel's local addresses (/proc/net/fib_trie,
 * "/32 host LOCAL" leaves) are matched to the interface whose directly connected route (/proc/net/route, no
 * gateway) contains them; the route's mask gives the prefix length. Each missing file only drops its attributes.
 */
export class NetworkInventory implements InventoryProvider {
  readonly name = "network";

  constructor(private readonly platform: Platform) {}

  async collect(): Promise<InventoryAttributes> {
    const out: InventoryAttributes = {};
    const names = (await this.platform.fs.readdir("/sys/class/net").catch(() => [] as string[])).filter((n) => n !== "lo").sort();
    if (names.length === 0) return out;
    out["network_interfaces"] = names;
    for (const name of names) {
      const mac = (await this.platform.fs.readText(`/sys/class/net/${name}/address`).catch(() => undefined))?.trim().toLowerCase();
      if (mac && mac !== "00:00:00:00:00:00") out[`mac_${name}`] = mac;
    }
    const routes = parseRoutes((await this.platform.fs.readText("/proc/net/route").catch(() => undefined)) ?? "");
    const locals = parseLocalAddresses((await this.platform.fs.readText("/proc/net/fib_trie").catch(() => undefined)) ?? "");
    const byIface = new Map<string, string[]>();
    for (const address of locals) {
      const ip = toInt(address);
      // Longest prefix wins when routes overlap.
      const route = routes
        .filter((r) => names.includes(r.iface) && ((ip & r.mask) >>> 0) === r.destination)
        .sort((a, b) => bitCount(b.mask) - bitCount(a.mask))[0];
      if (!route) continue;
      const list = byIface.get(route.iface) ?? [];
      list.push(`${address}/${bitCount(route.mask)}`);
      byIface.set(route.iface, list);
    }
    for (const [iface, list] of byIface) out[`ipv4_${iface}`] = list.length === 1 ? (list[0] as string) : list.sort();
    return out;
  }
}

interface Route {
  iface: string;
  destination: number;
  mask: number;
}

/** Directly connected routes (gateway 0) from /proc/net/route, whose hex fields are little-endian. */
export function parseRoutes(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gateway, , , , , mask] = f;
    if (!iface || gateway !== "00000000" || !/^[0-9A-Fa-f]{8}$/.test(dest ?? "") || !/^[0-9A-Fa-f]{8}$/.test(mask ?? "")) continue;
    const m = leHex(mask as string);
    if (m === 0) continue;
    out.push({ iface, destination: leHex(dest as string), mask: m });
  }
  return out;
}

/** Addresses of "/32 host LOCAL" leaves in /proc/net/fib_trie, loopback excluded, each once. */
export function parseLocalAddresses(text: string): string[] {
  const out = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    const leaf = /\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(lines[i] as string);
    if (!leaf) continue;
    for (let j = i + 1; j < lines.length && /^\s+\/\d+/.test(lines[j] as string); j++) {
      if (/\/32 host LOCAL/.test(lines[j] as string) && !(leaf[1] as string).startsWith("127.")) out.add(leaf[1] as string);
    }
  }
  return [...out];
}

function leHex(hex: string): number {
  const n = Number.parseInt(hex, 16);
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

function toInt(address: string): number {
  return address.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m; m = (m << 1) >>> 0) n++;
  return n;
}
