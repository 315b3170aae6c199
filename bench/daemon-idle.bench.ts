// Idle daemon figures: RSS of `ota-agent daemon` (bundle and sources) polling a server, and one systemd-notify's cost.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DevServer } from "../test/sim/server/dev-server.js";
import { SimDevice } from "../test/sim/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
// V8 hands start-up's young-generation pages back only when its memory reducer runs (about 10 s into an idle
// daemon, timing varies): a short window measures start-up residue, not idle. "settled" = the last 10 samples.
const SAMPLE_SECONDS = Number(process.env["BENCH_IDLE_SECONDS"] ?? 40);

function statusKb(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${key}:`));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? NaN);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(label: string, argv: string[], configFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  const flags = (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...flags, ...argv, "daemon", "--config", configFile], { env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('"daemon.started"') && Date.now() < deadline) await sleep(100);
  if (!out.includes('"daemon.started"')) throw new Error(`${label}: the daemon did not start:\n${out}`);
  await sleep(3_000); // past the start-up rounds
  const samples: number[] = [];
  for (let i = 0; i < SAMPLE_SECONDS; i++) {
    samples.push(statusKb(child.pid!, "VmRSS"));
    await sleep(1_000);
  }
  const hwm = statusKb(child.pid!, "VmHWM");
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  const polls = (out.match(/"endpoint":"GET next \(v1\)"/g) ?? []).length;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mb = (kb: number): string => (kb / 1024).toFixed(1);
  console.log(
    `${label.padEnd(26)} idle RSS median ${mb(median(samples))} MB, settled ${mb(median(samples.slice(-10)))} MB, max ${mb(Math.max(...samples))} MB, peak (VmHWM) ${mb(hwm)} MB; ${polls} polls in ${SAMPLE_SECONDS + 3} s`,
  );
}

const work = mkdtempSync(join(tmpdir(), "bench-daemon-"));
const server = await DevServer.start({ mender: { autoAccept: true } });
const device = await SimDevice.create({ dir: mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "bench-sim-")) });
try {
  mkdirSync(device.path("/sys/class/net/eth0"), { recursive: true });
  writeFileSync(device.path("/sys/class/net/eth0/address"), "dc:a6:32:00:00:09\n");
  writeFileSync(device.path("/sys/class/net/eth0/type"), "1\n");
  const configFile = join(work, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      ...device.config(),
      log: { level: "debug" },
      plugins: { "server-mender": { serverUrl: server.url, updatePollIntervalSeconds: 2, inventoryPollIntervalSeconds: 3600 } },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${device.binDir}:${process.env["PATH"] ?? ""}` };
  delete env["NOTIFY_SOCKET"];

  const bundleDir = join(work, "bundle");
  const built = spawnSync(process.execPath, [join(root, "scripts/bundle.mjs"), "--outdir", bundleDir], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("bundle failed");
  console.log(`daemon idle, Mender dev server, poll every 2 s, ${SAMPLE_SECONDS} samples 1 s apart (budget: < 60 MB, DESIGN §8)`);
  await measure("bundle (dist/bundle)", [join(bundleDir, "ota-agent.mjs")], configFile, env);
  await measure("sources through tsx", [join(root, "bin/ota-agent.js")], configFile, env);

  // One systemd-notify message, as the daemon sends READY/STATUS/WATCHDOG (a python3 datagram receiver as systemd).
  const sock = join(work, "notify.sock");
  const receiver = spawn("python3", ["-c", "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ok',flush=True)\nwhile True: s.recv(65536)", sock]);
  await new Promise((r) => receiver.stdout.once("data", r));
  const runs = 20;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) spawnSync("systemd-notify", [`--pid=${process.pid}`, "WATCHDOG=1"], { env: { ...env, NOTIFY_SOCKET: sock } });
  const perMs = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
  receiver.kill();
  console.log(`systemd-notify WATCHDOG=1: ${perMs.toFixed(1)} ms per message (${runs} runs; sent every WatchdogSec/2 = 60 s by the shipped unit)`);
} finally {
  await server.stop();
  await device.close();
  rmSync(work, { recursive: true, force: true });
}
