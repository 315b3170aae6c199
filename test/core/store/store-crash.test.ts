// Kills a process writing records with SIGKILL at random moments (≥ 200 times): every read sees a whole record.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { FileStateStore } from "../../../core/store/file-state-store.js";

const CYCLES = 200;
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

/** Runs the writer from `start`, kills it 1–15 ms after it is ready, returns the last acknowledged seq. */
function writeUntilKilled(sysroot: string, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, sysroot, dataDir, String(start)], { stdio: ["ignore", "pipe", "pipe"] });
    let acked = start;
    let buffered = "";
    let killTimer: NodeJS.Timeout | undefined;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "ready" && !killTimer) {
          killTimer = setTimeout(() => child.kill("SIGKILL"), 1 + Math.floor(Math.random() * 15));
        } else if (line.startsWith("w ")) acked = Number(line.slice(2));
      }
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited without being killed: ${signal} ${stderr}`));
      else resolve(acked);
    });
  });
}

describe("store crash safety", () => {
  it(`writer-killed-mid-write (${CYCLES} SIGKILLs): every read is the old or the new record, never torn`, async () => {
    const sysroot = join(work, "root");
    const platform = new NodePlatform({ sysroot });
    await platform.fs.mkdir(dataDir, { recursive: true });
    // staleTempMs 0: no other writer is alive between cycles, so every temp file is a crash leftover.
    const store = new FileStateStore(platform, dataDir, "", { staleTempMs: 0 });
    let seq = 0;
    let tempsLeft = 0;
    let unacked = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const acked = await writeUntilKilled(sysroot, seq);
      tempsLeft += (await readdir(platform.path(dataDir))).filter((n) => n.includes(".tmp-")).length;
      const record = await store.read("state", parseRec); // throws OTA_ERR_STORE_CORRUPT on a torn record
      if (acked === 0 && record === undefined) continue; // killed before the very first write finished
      expect(record).toBeDefined();
      // The write in flight at the kill either fully happened (acked + 1) or not at all (acked).
      expect([acked, acked + 1]).toContain(record!.seq);
      if (record!.seq === acked + 1) unacked += 1;
      seq = record!.seq;
      expect((await readdir(platform.path(dataDir))).filter((n) => n.includes(".tmp-"))).toEqual([]);
    }
    console.log(
      `store crash test: ${CYCLES} kills, final seq ${seq}, ${tempsLeft} cycles left a temp file, ` +
        `${unacked} records newer than the last ack`,
    );
    // Proof that kills landed inside writes (else the test would prove nothing).
    expect(tempsLeft).toBeGreaterThan(0);
    expect(seq).toBeGreaterThan(0);
  });
});
