// Inventory of the agent itself: `ota_agent_version` (the Mender client reports `mender_client_version` likewise).
import type { AgentInfo } from "../../core/agent-info.js";
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";

export class AgentInventory implements InventoryProvider {
  readonly name = "agent";

  constructor(private readonly agent: AgentInfo) {}

  collect(): Promise<InventoryAttributes> {
    return Promise.resolve({ ota_agent_version: this.agent.version });
  }
}
