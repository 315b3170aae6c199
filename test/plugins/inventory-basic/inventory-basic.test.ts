// inventory-basic: each provider reads its files under the sysroot and tolerates their absence.
import { afterEach, describe, expect, it } from "vitest";
import { container } from "tsyringe";
import { DirPlatform } from "../../sim/server/dir-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { OsReleaseInventory } from "../../../plugins/inventory-basic/os-release-inventory.js";
import { KernelInventory } from "../../../plugins/inventory-basic/kernel-inventory.js";
import { NetworkInventory } from "../../../plugins/inventory-basic/network-inventory.js";
import { SlotsInventory } from "../../../plugins/inventory-basic/slots-inventory.js";
import { AgentInventory } from "../../../plugins/inventory-basic/agent-inventory.js";
import { DeviceTypeInventory } from "../../../plugins/inventory-basic/device-type-inventory.js";
import plugin from "../../../plugins/inventory-basic/index.js";
import { InventoryBasicConfigSchema } from "../../../plugins/inventory-basic/config.js";
import { TOKENS } from "../../../core/di/tokens.js";
import type { Bootloader } from "../../../core/capabilities/bootloader.js";
import type { InventoryProvider } from "../../../core/capabilities/inventory-provider.js";
import type { StateStore } from "../../../core/capabilities/state-store.js";

let platform: DirPlatform;
afterEach(async () => {
  await platform.dispose();
});

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
wlan0\t0000A8C0\t00000000\t0001\t0\t0\t600\t0000FFFF\t0\t0\t0
`;
const FIB = `Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.0.2.0/24 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
     +-- 192.168.0.0/16 2 0 2
           |-- 192.168.7.9
              /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
           |-- 192.0.2.2
              /32 host LOCAL
`;

describe("inventory-basic providers", () => {
  it("os-release: PRETTY_NAME, ID and VERSION_ID with quotes removed", async () => {
    platform = new DirPlatform();
    await platform.put("/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# comment\nHOME_URL="https://www.debian.org/"\n');
    await expect(new OsReleaseInventory(platform).collect()).resolves.toEqual({ os: "Debian GNU/Linux 12 (bookworm)", os_id: "debian", os_version_id: "12" });
  });

  it("os-release-fallback-and-missing: /usr/lib/os-release is read, nothing at all is no attributes", async () => {
    platform = new DirPlatform();
    await expect(new OsReleaseInventory(platform).collect()).resolves.toEqual({});
    await platform.put("/usr/lib/os-release", "ID=raspbian\n");
    await expect(new OsReleaseInventory(platform).collect()).resolves.toEqual({ os_id: "raspbian" });
  });

  it("kernel: osrelease, trimmed; missing file is no attribute", async () => {
    platform = new DirPlatform();
    await expect(new KernelInventory(platform).collect()).resolves.toEqual({});
    await platform.put("/proc/sys/kernel/osrelease", "6.6.51+rpt-rpi-2712\n");
    await expect(new KernelInventory(platform).collect()).resolves.toEqual({ kernel: "6.6.51+rpt-rpi-2712" });
  });

  it("network: interfaces, MACs and IPv4 in CIDR matched to their connected route", async () => {
    platform = new DirPlatform();
    await platform.put("/sys/class/net/eth0/address", "DC:A6:32:00:00:01\n");
    await platform.put("/sys/class/net/wlan0/address", "dc:a6:32:00:00:02\n");
    await platform.put("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
    await platform.put("/proc/net/route", ROUTE);
    await platform.put("/proc/net/fib_trie", FIB);
    await expect(new NetworkInventory(platform).collect()).resolves.toEqual({
      network_interfaces: ["eth0", "wlan0"],
      mac_eth0: "dc:a6:32:00:00:01",
      mac_wlan0: "dc:a6:32:00:00:02",
      ipv4_eth0: "192.0.2.2/24",
      ipv4_wlan0: "192.168.7.9/16",
    });
  });

  it("network-without-procfs: MACs still reported, no addresses", async () => {
    platform = new DirPlatform();
    await platform.put("/sys/class/net/eth0/address", "dc:a6:32:00:00:01\n");
    await expect(new NetworkInventory(platform).collect()).resolves.toEqual({ network_interfaces: ["eth0"], mac_eth0: "dc:a6:32:00:00:01" });
  });

  it("slots: booted, committed and trial from the bootloader; a failing bootloader is skipped", async () => {
    platform = new DirPlatform();
    const bootloader = { state: () => Promise.resolve({ booted: "b", committed: "a", trial: true, armed: null }) } as unknown as Bootloader;
    await expect(new SlotsInventory(() => bootloader, () => undefined).collect()).resolves.toEqual({ slot_booted: "b", slot_committed: "a", slot_trial: "true" });
    const broken = { state: () => Promise.reject(new Error("no device tree")) } as unknown as Bootloader;
    await expect(new SlotsInventory(() => broken, () => undefined).collect()).resolves.toEqual({});
    await expect(new SlotsInventory(() => undefined, () => undefined).collect()).resolves.toEqual({});
  });

  it("agent-and-device-type", async () => {
    platform = new DirPlatform();
    const agent = { version: "0.1.0", deviceType: "raspberrypi5", dataDir: "/data", sysroot: "/" };
    await expect(new AgentInventory(agent).collect()).resolves.toEqual({ ota_agent_version: "0.1.0" });
    await expect(new DeviceTypeInventory(agent).collect()).resolves.toEqual({ device_type: "raspberrypi5" });
    await expect(new DeviceTypeInventory({ ...agent, deviceType: undefined }).collect()).resolves.toEqual({});
  });

  it("plugin-setup: exports every provider but the excluded ones", async () => {
    platform = new DirPlatform();
    const scope = container.createChildContainer();
    scope.register(TOKENS.Platform, { useValue: platform });
    const ctx = {
      log: new MemoryLogger(),
      store: {} as StateStore,
      config: InventoryBasicConfigSchema.parse({ exclude: ["network"] }),
      signal: new AbortController().signal,
      agent: { version: "0.1.0", deviceType: "raspberrypi5", dataDir: "/data", sysroot: platform.sysroot },
    };
    const result = await plugin.setup(scope, ctx);
    const providers = result.exports["inventory-provider"] as InventoryProvider[];
    expect(providers.map((p) => p.name)).toEqual(["os-release", "agent", "device-type", "slots", "kernel"]);
    expect(() => InventoryBasicConfigSchema.parse({ exclude: ["nope"] })).toThrow();
  });
});
