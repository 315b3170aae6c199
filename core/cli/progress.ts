// Renders install progress: a throttled one-line bar on a terminal, JSON lines with --json, nothing otherwise.
import type { Writable } from "node:stream";

export interface ProgressSample {
  bytes: number;
  total?: number;
  /** Bytes per second. */
  rate: number;
  resumes?: number;
  phase?: string;
}

export interface ProgressOptions {
  isTty: boolean;
  json: boolean;
  /** Minimum ms between two renders (bar: 100, JSON: 1000 by default). */
  intervalMs?: number;
  /** Columns of the terminal (default 80). */
  columns?: number;
  now?: () => number;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

export class ProgressRenderer {
  private last = -Infinity;
  private drawn = false;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly out: Writable,
    private readonly options: ProgressOptions,
  ) {
    this.intervalMs = options.intervalMs ?? (options.json ? 1000 : 100);
    this.now = options.now ?? (() => performance.now());
  }

  /** Renders when the interval passed since the last render (or `force`). */
  update(sample: ProgressSample, force = false): void {
    if (!this.options.isTty && !this.options.json) return;
    const t = this.now();
    if (!force && t - this.last < this.intervalMs) return;
    this.last = t;
    if (this.options.json) {
      const line: Record<string, unknown> = { event: "progress", bytes: sample.bytes, rate: Math.round(sample.rate) };
      if (sample.total !== undefined) line.total = sample.total;
      if (sample.resumes) line.resumes = sample.resumes;
      if (sample.phase) line.phase = sample.phase;
      this.out.write(JSON.stringify(line) + "\n");
      return;
    }
    this.out.write(`\r${this.bar(sample)}\x1b[K`);
    this.drawn = true;
  }

  /** Ends the bar line (terminal) so the next output starts on a fresh line. */
  finish(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  private bar(s: ProgressSample): string {
    const rate = `${formatBytes(s.rate)}/s`;
    const resumes = s.resumes ? ` (${s.resumes} resumes)` : "";
    if (s.total === undefined || s.total <= 0) return `${formatBytes(s.bytes)}  ${rate}${resumes}`;
    const fraction = Math.min(1, s.bytes / s.total);
    const text = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(s.bytes)} / ${formatBytes(s.total)}  ${rate}${resumes}`;
    const width = Math.max(10, Math.min(40, (this.options.columns ?? 80) - text.length - 3));
    const filled = Math.round(fraction * width);
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]${text}`;
  }
}
