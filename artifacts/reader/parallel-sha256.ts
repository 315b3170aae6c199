// ParallelSha256: SHA-256 computed on a worker thread, fed through a small shared ring — hashing off the main thread.
import { Worker } from "node:worker_threads";

/** Ring geometry: 4 slots of 256 KiB (1 MiB shared), enough to keep the worker busy while the main thread reads. */
const SLOT_BYTES = 256 * 1024;
const SLOTS = 4;
/**
 * Control words: [published, consumed, finished, digest ready, bell]; then slot lengths; then the 32-byte digest.
 * The main thread rings the bell (increments it) after each publish and at the finish; the worker sleeps on it.
 */
const CTL_WORDS = 5;
const DIGEST_AT = (CTL_WORDS + SLOTS) * 4;
const DATA_AT = DIGEST_AT + 64;
/** Without progress for this long the worker is taken for dead (its events cannot arrive while we block). */
const STALL_MS = 30_000;

// CommonJS, evaluated: no file to locate next to a bundle. Waits time out so a missed wake-up costs 20 ms, not a hang.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { sab, slotBytes, slots, ctlWords, digestAt, dataAt } = workerData;
const ctl = new Int32Array(sab, 0, ctlWords);
const lens = new Int32Array(sab, ctlWords * 4, slots);
const data = Buffer.from(sab, dataAt, slotBytes * slots);
const hash = createHash("sha256");
for (;;) {
  const bell = Atomics.load(ctl, 4);
  const published = Atomics.load(ctl, 0);
  const consumed = Atomics.load(ctl, 1);
  if (consumed === published) {
    if (Atomics.load(ctl, 2) === 1) break;
    Atomics.wait(ctl, 4, bell, 20);
    continue;
  }
  const i = consumed % slots;
  hash.update(data.subarray(i * slotBytes, i * slotBytes + lens[i]));
  Atomics.store(ctl, 1, consumed + 1);
  Atomics.notify(ctl, 1);
}
hash.digest().copy(Buffer.from(sab, digestAt, 32));
Atomics.store(ctl, 3, 1);
Atomics.notify(ctl, 3);
`;

/**
 * The `update`/`digest` subset of a crypto Hash, with the hashing done by a worker thread. Why: on an uncompressed
 * image SHA-256 is the main thread's largest cost (~0.55 s per GiB here) and sits on the read → write critical path;
 * on a second core it overlaps the I/O. `update` copies into the ring (a memcpy) and, only when all slots are full,
 * blocks the main thread on Atomics.wait until the worker frees one — a bound of one slot's hashing time (~0.15 ms).
 * `digest` waits for the worker to finish. Memory: the 1 MiB ring plus the worker's isolate (~10 MB), so the
 * reader uses it only for large uncompressed payloads, and only with a core to spare (see open-artifact.ts). Throws
 * at construction when a worker cannot be started.
 */
export class ParallelSha256 {
  private readonly sab = new SharedArrayBuffer(DATA_AT + SLOT_BYTES * SLOTS);
  private readonly ctl = new Int32Array(this.sab, 0, CTL_WORDS);
  private readonly lens = new Int32Array(this.sab, CTL_WORDS * 4, SLOTS);
  private readonly data = Buffer.from(this.sab, DATA_AT, SLOT_BYTES * SLOTS);
  private readonly worker: Worker;
  private published = 0;
  private failure: Error | undefined;
  private done = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sab: this.sab, slotBytes: SLOT_BYTES, slots: SLOTS, ctlWords: CTL_WORDS, digestAt: DIGEST_AT, dataAt: DATA_AT },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on("error", (err) => {
      this.failure = err;
    });
    this.worker.on("exit", (code) => {
      if (!this.done && this.failure === undefined) this.failure = new Error(`the hashing worker exited with code ${code}`);
    });
  }

  update(chunk: Uint8Array): this {
    let pos = 0;
    while (pos < chunk.length) {
      // a free slot: at most SLOTS published and not yet consumed
      this.waitFor(1, () => this.published - Atomics.load(this.ctl, 1) < SLOTS);
      const i = this.published % SLOTS;
      const n = Math.min(SLOT_BYTES, chunk.length - pos);
      this.data.set(chunk.subarray(pos, pos + n), i * SLOT_BYTES);
      this.lens[i] = n;
      this.published += 1;
      Atomics.store(this.ctl, 0, this.published);
      this.ring();
      pos += n;
    }
    return this;
  }

  /** Waits for the worker to hash what is left, then returns the digest (hex) and lets the worker end. */
  digest(encoding: "hex"): string {
    Atomics.store(this.ctl, 2, 1);
    this.ring();
    this.waitFor(3, () => Atomics.load(this.ctl, 3) === 1);
    this.done = true;
    return Buffer.from(this.sab, DIGEST_AT, 32).toString(encoding);
  }

  /** Stops the worker without a digest (the read was abandoned). */
  dispose(): void {
    this.done = true;
    this.worker.terminate().catch(() => undefined);
  }

  private ring(): void {
    Atomics.add(this.ctl, 4, 1);
    Atomics.notify(this.ctl, 4);
  }

  /**
   * Blocks until `ready()`, sleeping on control word `word`. The worker's error/exit events cannot be delivered while
   * the main thread blocks, so a worker that makes no progress for STALL_MS is reported as failed.
   */
  private waitFor(word: number, ready: () => boolean): void {
    let last = Atomics.load(this.ctl, 1);
    let since = Date.now();
    for (;;) {
      // the word is read before the check, so a change between the two ends the wait at once (no lost wake-up)
      const seen = Atomics.load(this.ctl, word);
      if (ready()) return;
      if (this.failure !== undefined) throw this.failure;
      Atomics.wait(this.ctl, word, seen, 20);
      const consumed = Atomics.load(this.ctl, 1);
      if (consumed !== last) {
        last = consumed;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.dispose();
        throw new Error(`the hashing worker made no progress for ${STALL_MS / 1000} s`);
      }
    }
  }
}
