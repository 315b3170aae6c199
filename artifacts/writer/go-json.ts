// JSON serialisation the way Go's encoding/json writes it: minified, HTML-safe escapes, caller-chosen key order.

/**
 * Like JSON.stringify (keys in insertion order — build objects in Go struct order, sort map keys yourself), but with
 * Go's HTML-safe escaping of <, >, & and U+2028/U+2029 so header bytes match mender-artifact's.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A copy of `obj` with keys sorted (Go map encoding order). */
export function sortedKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]!]));
}

/** Re-encodes parsed JSON with every object's keys sorted, recursively (Go re-marshalling of meta-data). */
export function goJsonSorted(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return goJson(sort(value));
}
