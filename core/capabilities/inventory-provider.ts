// InventoryProvider: key/value attributes describing the device, sent to fleet servers.

export type InventoryAttributes = Record<string, string | string[]>;

/** Collects attributes. Read-only; a throw is logged and the provider skipped for this round. */
export interface InventoryProvider {
  readonly name: string;
  collect(signal?: AbortSignal): Promise<InventoryAttributes>;
}
