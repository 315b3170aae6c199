// Counts delivered bytes and reports SourceProgress (with a windowed rate) at most every 200 ms.
import type { SourceProgress } from "../../capabilities/artifact-source.js";
import type { Clock } from "../../capabilities/platform.js";

const INTERVAL_MS = 200;
const WINDOW_MS = 2000;

export class ProgressMeter {
  bytes = 0;
  resumes = 0;
  private lastEmit = -Infinity;
  private samples: { t: number; bytes: number }[] = [];

  constructor(
    private readonly clock: Clock,
    public total: number | undefined,
    private readonly onProgress?: (p: SourceProgress) => void,
  ) {}

  add(n: number): void {
    this.bytes += n;
    if (!this.onProgress) return;
    const now = this.clock.monotonic();
    if (now - this.lastEmit >= INTERVAL_MS) this.emit(now);
  }

  /** Always reports the final figures once. */
  finish(): void {
    if (this.onProgress) this.emit(this.clock.monotonic());
  }

  private emit(now: number): void {
    this.lastEmit = now;
    this.samples.push({ t: now, bytes: this.bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.t > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0 ? (this.bytes - first.bytes) / dt : 0;
    const p: SourceProgress = { bytes: this.bytes, rate, resumes: this.resumes };
    if (this.total !== undefined) p.total = this.total;
    this.onProgress?.(p);
  }
}
