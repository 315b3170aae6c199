// GcPacer: a young-generation GC after every N payload bytes, so short-lived stream buffers are freed promptly.
//
// Why: every chunk a stream reads (fs, zlib, child stdout) is a fresh ArrayBuffer outside the JS heap. V8 frees
// dead young backing stores only at a scavenge, and starts one for external memory only once 2 × kMaxSemiSpaceSize
// (32 MiB on 64-bit, a compile-time constant: `--max-semi-space-size` does not change it) of them piled up; the
// little JS a chunk allocates almost never fills the young generation first. Streaming 1 GiB therefore floats
// 30–45 MiB of dead buffers (measured, process.memoryUsage().arrayBuffers) — a third of the reader's peak RSS.
// A minor GC on a small, mostly dead young generation costs ~0.3 ms; one per 8 MiB is ~40 ms per GiB.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Gc = (options: { type: "minor" }) => void;

let gc: Gc | null | undefined;

/**
 * V8's `gc` function without exposing it on this context's global: the flag makes new contexts get one (the
 * approach Jest uses for --logHeapUsage). Null when the runtime refuses (then pacing is off).
 */
function minorGc(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
    gc = typeof fn === "function" ? (fn as Gc) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/** Default pacing: measured best of 4/8/16 MiB (16 MiB keeps most of the float; 4 MiB costs more GCs for nothing). */
export const DEFAULT_GC_PACE_BYTES = 8 * 1024 * 1024;

export class GcPacer {
  private pending = 0;
  private readonly gc: Gc | null;

  /** `everyBytes` 0 disables pacing. */
  constructor(private readonly everyBytes: number = DEFAULT_GC_PACE_BYTES) {
    this.gc = everyBytes > 0 ? minorGc() : null;
  }

  /** Counts `bytes` that passed; runs a minor GC once `everyBytes` accumulated. */
  add(bytes: number): void {
    if (this.gc === null) return;
    this.pending += bytes;
    if (this.pending >= this.everyBytes) {
      this.pending = 0;
      this.gc({ type: "minor" });
    }
  }
}
