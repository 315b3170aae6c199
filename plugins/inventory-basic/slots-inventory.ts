// Inventory of the A/B slots: `slot_booted`, `slot_committed`, `slot_trial` (bootloader) and `slot_scheme` (resolver).
import type { Bootloader } from "../../core/capabilities/bootloader.js";
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { SlotResolver } from "../../core/capabilities/slot-resolver.js";

/**
 * Both capabilities are optional: without them the provider reports nothing. A failing read is skipped rather than
 * failing the inventory round (a device that cannot read its boot state still wants to be seen by the server).
 */
export class SlotsInventory implements InventoryProvider {
  readonly name = "slots";

  constructor(
    private readonly bootloader: () => Bootloader | undefined,
    private readonly resolver: () => SlotResolver | undefined,
  ) {}

  async collect(): Promise<InventoryAttributes> {
    const out: InventoryAttributes = {};
    const bootloader = this.bootloader();
    if (bootloader) {
      const state = await bootloader.state().catch(() => undefined);
      if (state) {
        out["slot_booted"] = state.booted;
        out["slot_committed"] = state.committed;
        out["slot_trial"] = String(state.trial);
      }
    }
    const resolver = this.resolver();
    if (resolver) {
      const layout = await resolver.resolve().catch(() => undefined);
      if (layout) {
        out["slot_scheme"] = layout.scheme;
        out["slot_active"] ??= layout.active.slot;
      }
    }
    return out;
  }
}
