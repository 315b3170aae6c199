// Inventory of the device type (`device_type`), from the config or `<dataDir>/device_type` as core resolved it.
import type { AgentInfo } from "../../core/agent-info.js";
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";

export class DeviceTypeInventory implements InventoryProvider {
  readonly name = "device-type";

  constructor(private readonly agent: AgentInfo) {}

  collect(): Promise<InventoryAttributes> {
    const out: InventoryAttributes = {};
    if (this.agent.deviceType) out["device_type"] = this.agent.deviceType;
    return Promise.resolve(out);
  }
}
