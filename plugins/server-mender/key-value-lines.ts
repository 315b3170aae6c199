// Parses the key=value lines identity and inventory scripts print; a repeated key becomes an array, in order.

export type KeyValues = Record<string, string | string[]>;

/** Lines without "=" or with an empty key are skipped; values keep everything after the first "=". */
export function parseKeyValueLines(text: string, into: KeyValues = {}): KeyValues {
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (key === "") continue;
    const value = line.slice(eq + 1);
    const existing = into[key];
    if (existing === undefined) into[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else into[key] = [existing, value];
  }
  return into;
}

/** JSON with keys sorted, as Mender clients send `id_data` (the server re-sorts it for matching anyway). */
export function sortedJson(values: KeyValues): string {
  const sorted: KeyValues = {};
  for (const key of Object.keys(values).sort()) sorted[key] = values[key] as string | string[];
  return JSON.stringify(sorted);
}
