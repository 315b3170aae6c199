// Benchmark: read+verify throughput and peak RSS of `ota-artifact validate` vs `mender-artifact validate` on a 1 GiB gzip rootfs artifact.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { writeArtifact } from "../artifacts/writer/write-artifact.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SIZE = Number(process.env.OTA_BENCH_BYTES ?? 1024 * 1024 * 1024);
const RUNS = 3;
const MiB = 1024 * 1024;

/** Compressible pseudo-random text (~4 bits of entropy per byte: gzip gets about 2:1, like binaries and libraries). */
function textBlock(): Buffer {
  const alphabet = Buffer.from("etaoinshrdlucmfw");
  const out = randomBytes(MiB);
  for (let i = 0; i < out.length; i++) out[i] = i % 9 === 8 ? 0x20 : alphabet[out[i]! & 0x0f]!;
  return out;
}

async function makePayload(path: string): Promise<void> {
  const blocks = Array.from({ length: 8 }, () => textBlock());
  const zero = Buffer.alloc(MiB);
  const fh = await open(path, "w");
  try {
    // Mixed content: runs of text, then runs of zeros (like a filesystem image with free space).
    for (let i = 0; i < SIZE / MiB; i++) await fh.write(i % 4 === 3 ? zero : blocks[i % 8]!);
  } finally {
    await fh.close();
  }
}

function timed(cmd: string, args: string[]): { seconds: number; rssKiB: number; ok: boolean; err: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8", maxBuffer: 16 * MiB });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.stderr.trim().split("\n");
  return { seconds, rssKiB: Number(lines[lines.length - 1]), ok: r.status === 0, err: r.stderr.slice(-500) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function mainBench(): Promise<void> {
  if (!existsSync("/usr/bin/time")) {
    console.log("artifact-read: /usr/bin/time is missing (apt-get install time); skipping");
    return;
  }
  const haveMender = spawnSync("mender-artifact", ["--version"]).status === 0;
  const dir = mkdtempSync(join(tmpdir(), "ota-bench-"));
  try {
    const payload = join(dir, "rootfs.ext4");
    const artifact = join(dir, "bench.mender");
    let t = Date.now();
    await makePayload(payload);
    console.log(`payload: ${(SIZE / MiB).toFixed(0)} MiB generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await writeArtifact({ kind: "rootfs-image", name: "bench-1", deviceTypes: ["pi4"], compression: "gzip", files: [{ name: "rootfs.ext4", path: payload }] }, createWriteStream(artifact));
    const artSize = statSync(artifact).size;
    console.log(`artifact: written by ota-artifact (gzip) in ${((Date.now() - t) / 1000).toFixed(1)} s, ${(artSize / MiB).toFixed(1)} MiB`);
    rmSync(payload);

    // The CLI as it ships (esbuild bundle), so the figure has no tsx/transpiler overhead.
    const bundle = join(dir, "ota-artifact.mjs");
    const runner = join(dir, "runner.ts");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(runner, `import { main } from ${JSON.stringify(join(root, "artifacts/cli/main.ts"))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
    await build({ entryPoints: [runner], bundle: true, platform: "node", format: "esm", target: "node20", outfile: bundle, logLevel: "error" });

    const ours: ReturnType<typeof timed>[] = [];
    const theirs: ReturnType<typeof timed>[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(timed(process.execPath, [bundle, "validate", artifact]));
      if (haveMender) theirs.push(timed("mender-artifact", ["validate", artifact]));
    }
    for (const r of [...ours, ...theirs]) if (!r.ok) throw new Error(`a validate run failed: ${r.err}`);
    const row = (name: string, rs: ReturnType<typeof timed>[]) => {
      const s = median(rs.map((r) => r.seconds));
      const rss = median(rs.map((r) => r.rssKiB)) / 1024;
      console.log(`| ${name.padEnd(24)} | ${rs.map((r) => r.seconds.toFixed(2)).join(", ").padEnd(20)} | ${s.toFixed(2).padStart(8)} | ${(SIZE / MiB / s).toFixed(0).padStart(13)} | ${rss.toFixed(0).padStart(13)} |`);
      return { s, rss };
    };
    console.log(`\nread+verify of a ${(SIZE / MiB).toFixed(0)} MiB-payload gzip rootfs artifact (${(artSize / MiB).toFixed(0)} MiB file), ${RUNS} runs each, alternating`);
    console.log("| tool                     | runs (s)             | median s | payload MiB/s | peak RSS MiB |");
    console.log("|--------------------------|----------------------|----------|---------------|--------------|");
    const a = row("ota-artifact validate", ours);
    if (haveMender) {
      const b = row("mender-artifact validate", theirs);
      console.log(`\nratio (ours / mender-artifact): time ${(a.s / b.s).toFixed(2)}x, peak RSS ${(a.rss / b.rss).toFixed(2)}x`);
    } else {
      console.log("mender-artifact is not installed: no comparison row");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await mainBench();
