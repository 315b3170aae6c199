// Kills a process writing records with SIGKILL at random moments (≥ 200 times): every read sees a whole record.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { FileStateStore } from "../../../core/store/file-state-store.js";

const CYCLES = 200;
const LANES = 4;
const dataDir = "/data";

interface Rec {
  schemaVersion: 1;
  seq: number;
  payload: string;
  sha256: string;
}
/** Rejects any record whose payload does not match its own checksum: a torn write cannot pass. */
const parseRec = (raw: unknown): Rec => {
  const r = raw as Rec;
  if (r.schemaVersion !== 1 || typeof r.seq !== "number" || typeof r.payload !== "string") throw new Error("shape");
  if (createHash("sha256").update(r.payload).digest("hex") !== r.sha256) throw new Error("checksum");
  return r;
};

let work: string;
let writer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ota-store-crash-"));
  // A plain pre-built .mjs starts in ~40 ms; going through tsx each time would dominate the test's run time.
  writer = join(work, "crash-writer.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./crash-writer.ts", import.meta.url))],
    outfile: writer,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** One writer process: spawned warm (Node started, modules loaded), then told to go, then killed. */
class Writer {
  readonly ready: Promise<void>;
  readonly done: Promise<number>;
  private readonly child: ChildProcess;
  private acked = 0;

  constructor(sysroot: string) {
    this.child = spawn(process.execPath, [writer, sysroot, dataDir], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let buffered = "";
    let onReady!: () => void;
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "ready") onReady();
        // The kill lands 1–15 ms after the first write began.
        else if (line === "writing") setTimeout(() => this.child.kill("SIGKILL"), 1 + Math.floor(Math.random() * 15));
        else if (line.startsWith("w ")) this.acked = Number(line.slice(2));
      }
    });
    this.done = new Promise((resolve, reject) => {
      this.child.on("error", reject);
      this.child.on("close", (_code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`writer exited without being killed: ${signal} ${stderr}`));
        else resolve(this.acked);
      });
    });
  }

  /** Starts writing records after `seq`; resolves with the last acknowledged seq once killed. */
  go(seq: number): Promise<number> {
    this.acked = seq;
    this.child.stdin!.write(`go ${seq}\n`);
    return this.done;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

interface LaneResult {
  finalSeq: number;
  tempsLeft: number;
  unacked: number;
}

/** Kills `cycles` writers one after another on one data dir, checking the record after each kill. */
async function lane(sysroot: string, cycles: number): Promise<LaneResult> {
  const platform = new NodePlatform({ sysroot });
  await platform.fs.mkdir(dataDir, { recursive: true });
  // staleTempMs 0: no other writer on this data dir is alive between cycles, so every temp file is a crash leftover.
  const store = new FileStateStore(platform, dataDir, "", { staleTempMs: 0 });
  const result: LaneResult = { finalSeq: 0, tempsLeft: 0, unacked: 0 };
  let spare = new Writer(sysroot);
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const current = spare;
      await current.ready;
      spare = new Writer(sysroot); // warms up while `current` writes and dies
      const acked = await current.go(result.finalSeq);
      result.tempsLeft += (await readdir(platform.path(dataDir))).filter((n) => n.includes(".tmp-")).length;
      const record = await store.read("state", parseRec); // throws OTA_ERR_STORE_CORRUPT on a torn record
      if (acked === 0 && record === undefined) continue; // killed before the very first write finished
      expect(record).toBeDefined();
      // The write in flight at the kill either fully happened (acked + 1) or not at all (acked).
      expect([acked, acked + 1]).toContain(record!.seq);
      if (record!.seq === acked + 1) result.unacked += 1;
      result.finalSeq = record!.seq;
      expect((await readdir(platform.path(dataDir))).filter((n) => n.includes(".tmp-"))).toEqual([]);
    }
  } finally {
    spare.kill();
    await spare.done.catch(() => undefined);
  }
  return result;
}

describe("store crash safety", () => {
  // Four lanes (each its own data dir) overlap their waits for the disk; the timeout is headroom for a loaded
  // machine (alone, the test takes a few seconds).
  it(`writer-killed-mid-write (${CYCLES} SIGKILLs): every read is the old or the new record, never torn`, { timeout: 180_000 }, async () => {
    const lanes = await Promise.all(
      Array.from({ length: LANES }, (_, i) => lane(join(work, `root-${i}`), CYCLES / LANES)),
    );
    const total = lanes.reduce((sum, l) => ({
      finalSeq: sum.finalSeq + l.finalSeq,
      tempsLeft: sum.tempsLeft + l.tempsLeft,
      unacked: sum.unacked + l.unacked,
    }));
    console.log(
      `store crash test: ${CYCLES} kills in ${LANES} lanes, ${total.finalSeq} records written, ` +
        `${total.tempsLeft} kills left a temp file, ${total.unacked} records newer than the last ack`,
    );
    // Proof that kills landed inside writes (else the test would prove nothing).
    expect(total.tempsLeft).toBeGreaterThan(0);
    expect(total.finalSeq).toBeGreaterThan(0);
  });
});
