// InventoryProvider: key/value attributes describing the device, sent to fleet servers.

export type InventoryAttributes = Record<string, string | string[]>;

/**
 * Collects attributes. Read-only and idempotent; a throw is logged and the provider skipped for this round.
 * Later providers win on a key clash (load order). Values never carry secrets.
 */
export interface InventoryProvider {
  readonly name: string;
  collect(signal?: AbortSignal): Promise<InventoryAttributes>;
}
