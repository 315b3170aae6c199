// Inventory from os-release: `os` (PRETTY_NAME), `os_id` (ID), `os_version_id` (VERSION_ID).
import type { InventoryAttributes, InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { Platform } from "../../core/capabilities/platform.js";

/** /etc/os-release, else /usr/lib/os-release (os-release(5)); a missing file yields no attributes. */
export class OsReleaseInventory implements InventoryProvider {
  readonly name = "os-release";

  constructor(private readonly platform: Platform) {}

  async collect(): Promise<InventoryAttributes> {
    const text =
      (await this.platform.fs.readText("/etc/os-release").catch(() => undefined)) ??
      (await this.platform.fs.readText("/usr/lib/os-release").catch(() => undefined));
    if (text === undefined) return {};
    const fields = parseOsRelease(text);
    const out: InventoryAttributes = {};
    if (fields["PRETTY_NAME"]) out["os"] = fields["PRETTY_NAME"];
    if (fields["ID"]) out["os_id"] = fields["ID"];
    if (fields["VERSION_ID"]) out["os_version_id"] = fields["VERSION_ID"];
    return out;
  }
}

/** KEY=value lines with optional single or double quotes and backslash escapes; comments and junk are skipped. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let value = (m[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, "$1");
    }
    out[m[1] as string] = value;
  }
  return out;
}
