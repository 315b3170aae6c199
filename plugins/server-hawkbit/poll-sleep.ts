// Parses hawkBit's `config.polling.sleep`: "HH:MM:SS" below a day, ISO-8601 durations ("P1DT2H", "PT30M") above.

/** Milliseconds, or undefined for anything else (the caller keeps its current interval). */
export function parsePollSleep(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const value = text.trim();
  const hms = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(value);
  if (hms) return ((Number(hms[1]) * 60 + Number(hms[2])) * 60 + Number(hms[3])) * 1000;
  const iso = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!iso || value === "P" || value.endsWith("T")) return undefined;
  const [, w, d, h, m, s] = iso.map((part) => (part === undefined ? 0 : Number(part)));
  const seconds = (w ?? 0) * 604_800 + (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
  return Math.round(seconds * 1000);
}
