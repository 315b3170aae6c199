// Copies a config for display with every secret-looking value replaced, so `ota-agent config` is safe to paste.

const SECRET_KEY = /(token|secret|password|passphrase|private|credential|api-?key)/i;

/** Deep copy; values under keys that look secret become "[redacted]". */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && inner !== undefined && inner !== null ? "[redacted]" : redactConfig(inner);
    }
    return out;
  }
  return value;
}
