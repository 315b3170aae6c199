// Seeded mutation fuzzing of real artifacts: the reader only ever fails with ArtifactErrors, never hangs, stays bounded.
import { readFileSync, readdirSync } from "node:fs";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../artifacts/errors.js";
import { openArtifact } from "../../../artifacts/reader/open-artifact.js";
import { bufferSource, testKeys, writeToBuffer } from "../artifact-kit.js";
import { SAMPLES } from "../fixture-paths.js";

const CASES = Number(process.env.OTA_FUZZ_CASES ?? 4000);
const SEED = Number(process.env.OTA_FUZZ_SEED ?? 0x5eed);
const PER_CASE_TIMEOUT_MS = 10_000;

/** xorshift32: deterministic, so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function mutate(base: Buffer, r: () => number): Buffer {
  const b = Buffer.from(base);
  const pick = (n: number) => Math.floor(r() * n);
  // Bias towards the first few KiB: that is where headers, manifest and signature live.
  const pos = () => (r() < 0.7 ? pick(Math.min(b.length, 6144)) : pick(b.length));
  switch (pick(6)) {
    case 0: {
      for (let i = 0, n = 1 + pick(4); i < n; i++) b[pos()] = pick(256);
      return b;
    }
    case 1:
      return b.subarray(0, pos());
    case 2: {
      const at = pos();
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(600) }, () => pick(256))), b.subarray(at)]);
    }
    case 3: {
      const at = pos();
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(1024))]);
    }
    case 4: {
      const at = pos();
      b.fill(0, at, Math.min(b.length, at + 1 + pick(512)));
      return b;
    }
    default: {
      // Rewrite a tar size field with a plausible but wrong octal value.
      const block = Math.floor(pos() / 512) * 512;
      b.write(pick(0o77777777).toString(8).padStart(11, "0") + "\0", block + 124, "latin1");
      return b;
    }
  }
}

describe("reader fuzzing", () => {
  const corpus: Array<{ name: string; buf: Buffer; keys: unknown[] }> = [];

  beforeAll(async () => {
    const k = testKeys();
    for (const f of readdirSync(`${SAMPLES}/artifacts`)) {
      const buf = readFileSync(`${SAMPLES}/artifacts/${f}`);
      if (buf.length > 100_000) continue; // the 1 MiB uncompressed ones mostly mutate payload bytes: little new coverage
      const keys = f.includes("rsa") ? [readFileSync(`${SAMPLES}/keys/rsa-public.pem`, "utf8")] : f.includes("ecdsa") ? [readFileSync(`${SAMPLES}/keys/ecdsa-public.pem`, "utf8")] : [];
      corpus.push({ name: f, buf, keys });
    }
    for (const compression of ["none", "gzip", "xz", "zstd"] as const) {
      const buf = await writeToBuffer({
        kind: "module-image", payloadType: "fz", name: `fz-${compression}`, deviceTypes: ["pi4"], compression, signingKey: k.ec.privateKey,
        files: [{ name: "a.bin", size: 3000, open: () => Readable.from([Buffer.alloc(3000, 0x61)]) }, { name: "b.bin", size: 10, open: () => Readable.from([Buffer.from("0123456789")]) }],
        metaData: { k: "v" }, scripts: [{ name: "ArtifactCommit_Enter_01", content: Buffer.from("#!/bin/sh\n") }],
      });
      corpus.push({ name: `ours-${compression}`, buf, keys: [k.ec.publicKey] });
    }
  });

  it(`${CASES} mutated artifacts: only ArtifactErrors, no hang, bounded memory`, async () => {
    const r = rng(SEED);
    const rssBefore = process.memoryUsage().rss;
    // Peak RSS, sampled while each case runs (not only between cases), and the case that reached it.
    let peak = rssBefore;
    let peakCase = -1;
    let current = -1;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > peak) [peak, peakCase] = [rss, current];
    }, 2);
    sampler.unref(); // never keeps the worker alive if a case throws before clearInterval
    let failures = 0;
    let accepted = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      current = i;
      const base = corpus[Math.floor(r() * corpus.length)]!;
      const input = mutate(base.buf, r);
      const useKeys = r() < 0.5;
      const run = (async () => {
        // Half the cases read the artifact as a Readable with stream consumers, half as a ByteSource with `read`.
        const pull = r() < 0.5;
        const source = pull ? bufferSource(input, 1 + Math.floor(r() * 200_000)) : Readable.from([input]);
        const a = await openArtifact(source, { verifyKeys: useKeys ? (base.keys as string[]) : [], decompressors: r() < 0.5 ? "auto" : "builtin" });
        // Half the time the consumer gives up on a file early (destroys it): the reader must drain and check the rest.
        const quitter = r() < 0.5;
        const into = Buffer.alloc(80 * 1024);
        for await (const p of a.payloads()) {
          for await (const f of p.files) {
            if (pull) while ((await f.read!(into, 0, 1 + Math.floor(r() * into.length))) > 0 && !(quitter && r() < 0.3));
            else for await (const _c of f.stream) if (quitter && r() < 0.3) break;
          }
        }
        await a.done();
      })();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), PER_CASE_TIMEOUT_MS)));
      const outcome = await Promise.race([run.then(() => "ok" as const, (e: unknown) => e), timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") throw new Error(`case ${i} (${base.name}) hung`);
      if (outcome === "ok") {
        accepted++;
        continue;
      }
      if (!isArtifactError(outcome)) {
        failures++;
        throw new Error(`case ${i} (${base.name}) threw a non-ArtifactError: ${String((outcome as Error)?.stack ?? outcome)}`);
      }
      codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
    }
    clearInterval(sampler);
    const growth = process.memoryUsage().rss - rssBefore;
    const peakGrowth = peak - rssBefore;
    console.log(`fuzz: ${CASES} cases, ${accepted} still valid, rss growth ${(growth / 1048576).toFixed(1)} MiB, peak +${(peakGrowth / 1048576).toFixed(1)} MiB (case ${peakCase})`, Object.fromEntries(codes));
    expect(failures).toBe(0);
    expect(codes.size).toBeGreaterThan(8); // the mutations reach many different checks
    expect(growth).toBeLessThan(256 * 1024 * 1024);
    // No single case may balloon memory while it runs (a mutated size field must not become an allocation).
    expect(peakGrowth, `peak reached in case ${peakCase}`).toBeLessThan(256 * 1024 * 1024);
  }, 120_000);
});
