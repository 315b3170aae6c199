// Inventory of the running kernel: `kernel` (uname -r, read from /proc/sys/kernel/osrelease).
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { Platform } from "../../core/capabilities/platform.js";

export class KernelInventory implements InventoryProvider {
  readonly name = "kernel";

  constructor(private readonly platform: Platform) {}

  async collect(): Promise<InventoryAttributes> {
    const release = (await this.platform.fs.readText("/proc/sys/kernel/osrelease").catch(() => undefined))?.trim();
    return release ? { kernel: release } : {};
  }
}
