// CLI cold start: wall time and peak RSS of bundled `ota-agent` commands (version, status, install start-up).
//
// Run: `npm run bench -- cold-start`. The bundle is built with scripts/bundle.mjs into a temp dir and started with
// plain node, as on a device; the device is test/sim's SimDevice (slot a committed and booted). Each run is a fresh
// process timed by /usr/bin/time (wall, peak RSS, user+sys CPU); `node -e 0` runs alongside as Node's own floor.
// Runs alternate (node floor, then each command) so all see the same machine load. Budget: < 300 ms (DESIGN §8).
// `install <missing file>` sets the whole agent up, starts a deployment and fails at the download: its peak RSS is the
// fixed cost the CLI adds to an install's streaming pipeline (issue 5: 1 GiB install under 100 MB).
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

function timed(argv: string[], env: NodeJS.ProcessEnv, out: string, expectStatus = 0): Timing {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", "-o", out, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== expectStatus) throw new Error(`${argv.join(" ")} failed (${r.status}): ${String(r.stderr).slice(-1500)}${String(r.stdout).slice(-500)}`);
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
    const agent = [process.execPath, join(bundleDir, "ota-agent.mjs"), "--config", configFile];
    const commands = [
      { name: "ota-agent --version", argv: [...agent, "--version"], status: 0 },
      { name: "ota-agent status --json", argv: [...agent, "status", "--json"], status: 0 },
      { name: "ota-agent install (start-up)", argv: [...agent, "install", join(work, "nonexistent.mender")], status: 1 },
    ];
    const floorArgv = [process.execPath, "-e", "0"];
    const out = join(work, "time.txt");
    // one unmeasured run each: page cache warm for the bundle and node, as on a device after the first boot
    timed(floorArgv, env, out);
    for (const c of commands) timed(c.argv, env, out, c.status);
    const floor: Timing[] = [];
    const runs = commands.map(() => [] as Timing[]);
    for (let i = 0; i < RUNS; i++) {
      floor.push(timed(floorArgv, env, out));
      commands.forEach((c, k) => runs[k]!.push(timed(c.argv, env, out, c.status)));
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
    commands.forEach((c, k) => row(c.name, runs[k]!));
  } finally {
    await device.close();
    rmSync(work, { recursive: true, force: true });
  }
}
