// CLI cold start: wall time and peak RSS of `ota-agent status --json` from the bundle on a simulated device.
//
// Run: `npm run bench -- cold-start`. The bundle is built with scripts/bundle.mjs into a temp dir and started with
// plain node, as on a device; the device is test/sim's SimDevice (slot a committed and booted). Each run is a fresh
// process timed by /usr/bin/time (wall, peak RSS, user+sys CPU); `node -e 0` runs alongside as Node's own floor.
// Runs alternate (node floor, status) so both see the same machine load. Budget: < 300 ms (DESIGN §8).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SimDevice } from "../test/sim/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env["BENCH_RUNS"] ?? 10);

interface Timing {
  wall: number;
  rssKb: number;
  cpu: number;
}

function timed(argv: string[], env: NodeJS.ProcessEnv, out: string): Timing {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", "-o", out, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${String(r.stderr).slice(-1500)}${String(r.stdout).slice(-500)}`);
  const [wall, rss, user, sys] = readFileSync(out, "utf8").trim().split(/\s+/).slice(-4).map(Number);
  return { wall: wall!, rssKb: rss!, cpu: user! + sys! };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync("/usr/bin/time")) {
  console.log("cold-start bench skipped: no /usr/bin/time (apt-get install time)");
} else {
  const work = mkdtempSync(join(tmpdir(), "bench-cold-"));
  const device = await SimDevice.create({ dir: mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "bench-sim-")) });
  try {
    const configFile = join(work, "config.json");
    writeFileSync(configFile, JSON.stringify({ ...device.config(), log: { level: "warn" } }));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${device.binDir}:${process.env["PATH"] ?? ""}` };
    const bundleDir = join(work, "bundle");
    mkdirSync(bundleDir);
    const built = spawnSync(process.execPath, [join(root, "scripts/bundle.mjs"), "--outdir", bundleDir], { cwd: root, stdio: "pipe" });
    if (built.status !== 0) throw new Error(`bundle failed: ${String(built.stderr)}`);
    const argv = [process.execPath, join(bundleDir, "ota-agent.mjs"), "--config", configFile, "status", "--json"];
    const floorArgv = [process.execPath, "-e", "0"];
    const out = join(work, "time.txt");
    // one unmeasured run each: page cache warm for the bundle and node, as on a device after the first boot
    timed(argv, env, out);
    timed(floorArgv, env, out);
    const status: Timing[] = [];
    const floor: Timing[] = [];
    for (let i = 0; i < RUNS; i++) {
      floor.push(timed(floorArgv, env, out));
      status.push(timed(argv, env, out));
    }
    const row = (name: string, ts: Timing[]): void => {
      console.log(
        `| ${name.padEnd(30)} | ${(median(ts.map((t) => t.wall)) * 1000).toFixed(0).padStart(13)} | ${(Math.min(...ts.map((t) => t.wall)) * 1000).toFixed(0).padStart(6)} | ${(median(ts.map((t) => t.cpu)) * 1000).toFixed(0).padStart(12)} | ${(median(ts.map((t) => t.rssKb)) / 1024).toFixed(1).padStart(12)} |`,
      );
    };
    const size = readFileSync(join(bundleDir, "ota-agent.mjs")).length;
    console.log(`cold start, ${RUNS} runs each (alternating), bundle ${(size / 1024).toFixed(0)} KiB, simulated device (SimDevice)`);
    console.log("| command                        | median wall ms | min ms | median CPU ms | peak RSS MB |");
    console.log("|--------------------------------|----------------|--------|---------------|-------------|");
    row("node -e 0 (floor)", floor);
    row("ota-agent status --json", status);
  } finally {
    await device.close();
    rmSync(work, { recursive: true, force: true });
  }
}
