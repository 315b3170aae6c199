// Install throughput and peak RSS: ota-agent vs the Mender client 3.4 vs `zcat | dd`, 1 GiB into a loop partition.
//
// Run: `npm run bench -- install` (root, loop devices, mender-client + mender-artifact installed). What runs:
//   * ota CLI: the bundled `ota-agent install` (scripts/bundle.mjs into the temp dir, plain node) with every default
//     plugin, on a sysroot whose device tree says "booted from p2" and whose /dev/mmcblk0* nodes are the loop disk
//     and its partitions (slots-gpt reads the real GPT; bootloader-tryboot arms /bootfs/autoboot.txt).
//   * ota pipeline: the same install path in a bare child process (FileSource → artifacts reader → module-ab-image
//     → read-compare-write frames → fsync) on a static layout, without the agent's start-up. When the CLI row's
//     set-up fails it is skipped with the reason and this row stands for ota-agent.
//   * mender: `mender install` (Go client 3.4) in a private mount namespace with a fake U-Boot env and `mount`
//     (the approach of shared/bench/mender-standalone.sh), RootfsPartA/B = p4/p5 of the same disk.
//   * limit: `zcat image.gz | dd of=p5 bs=4M conv=fsync` (gzip) and `dd if=image of=p5 bs=4M conv=fsync` (none).
// Runs alternate 3 times per compression, the order rotating every round (no contender always runs first or right
// after another's writeback); the target partition is discarded (zeroed) and `sync`ed before every run of every
// installer. Page caches are not dropped (the artifact is cached for every contender alike). Medians are reported,
// with the runs, and CPU seconds (user+sys, all threads and children): on a loaded machine wall time mostly
// measures the neighbours, CPU time what the installer costs.
import "reflect-metadata";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, chmodSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MiB = 1024 * 1024;
const IMAGE_MB = Number(process.env.BENCH_IMAGE_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface ChildArgs {
  artifact: string;
  active: string;
  target: string;
  activeBoot: string;
  otherBoot: string;
  /** Overrides of the `install` config block (tuning experiments). */
  install?: Record<string, unknown>;
}

/** The measured child: the pipeline and module, exactly as the agent wires them. */
async function child(args: ChildArgs): Promise<void> {
  const { NodePlatform } = await import("../core/platform/index.js");
  const { AgentConfigSchema } = await import("../core/config/schema.js");
  const { InstallPipeline } = await import("../core/install/install-pipeline.js");
  const { UpdateModuleRegistry } = await import("../core/install/module-registry.js");
  const { SourceRegistry } = await import("../core/install/sources/source-registry.js");
  const { FileSource } = await import("../core/install/sources/file-source.js");
  const { makeModuleContext } = await import("../core/install/module-context.js");
  const { AbImageModule } = await import("../plugins/module-ab-image/ab-image-module.js");
  const platform = new NodePlatform({ sysroot: "/" });
  const config = AgentConfigSchema.parse({ deviceType: "raspberrypi4", install: args.install ?? {} });
  const layout = {
    scheme: "bench",
    bootDisk: "/dev/null",
    active: { slot: "a" as const, boot: args.activeBoot, system: args.active, bootPartition: 2 },
    other: { slot: "b" as const, boot: args.otherBoot, system: args.target, bootPartition: 3 },
    reason: "bench",
  };
  const settings = () => ({
    frameBytes: config.install.frameBytes,
    readCompareWrite: config.install.readCompareWrite,
    readBackVerify: config.install.readBackVerify,
  });
  const module = new AbImageModule("rootfs-image", platform, () => ({ scheme: "bench", resolve: () => Promise.resolve(layout) }), () => undefined, settings);
  const noop = (): void => undefined;
  const log = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log };
  const pipeline = new InstallPipeline(platform, config, new SourceRegistry(() => [], [new FileSource(platform)]), new UpdateModuleRegistry(() => [module]));
  const workDir = mkdtempSync(join(tmpdir(), "ota-bench-work-"));
  const installed = { deviceType: "raspberrypi4", artifactName: "bench-1", provides: { artifact_name: "bench-1" } };
  const signal = new AbortController().signal;
  const result = await pipeline.download({ deploymentId: "bench", uri: args.artifact, workDir, installed, signal, log });
  await module.artifactInstall(makeModuleContext(result, 0, { deploymentId: "bench", workDir, log, signal, currentProvides: installed.provides }));
  rmSync(workDir, { recursive: true, force: true });
}

function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * MiB, ...opts });
}

function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Runs `argv` under /usr/bin/time; returns wall seconds, peak RSS (KB) and CPU seconds (user + sys). */
function timed(argv: string[], env?: NodeJS.ProcessEnv): { wall: number; rssKb: number; cpu: number } {
  const out = join(tmpdir(), `ota-bench-time-${process.pid}`);
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", "-o", out, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env, maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${String(r.stderr).slice(-2000)}`);
  const [wall, rss, user, sys] = readFileSync(out, "utf8").trim().split(/\s+/).slice(-4).map(Number);
  rmSync(out, { force: true });
  return { wall: wall!, rssKb: rss!, cpu: user! + sys! };
}

/** 1/3 incompressible, 1/3 text, 1/3 zeros in 32 MiB segments: a rough stand-in for a root filesystem. */
function makeImage(path: string): void {
  const text = Buffer.from(
    sh("sh", ["-c", "cat /usr/share/common-licenses/* /usr/share/doc/*/copyright 2>/dev/null | head -c 8388608"]),
  );
  const seg = 32 * MiB;
  const parts: string[] = [];
  for (let i = 0; i < IMAGE_MB / 32; i++) parts.push(["random", "text", "zero"][i % 3]!);
  // written with dd/openssl for speed; text by repeating the corpus
  rmSync(path, { force: true });
  writeFileSync(path, "");
  let offset = 0;
  for (const kind of parts) {
    if (kind === "random") {
      sh("sh", ["-c", `openssl enc -aes-128-ctr -nosalt -pass pass:${offset} -in /dev/zero 2>/dev/null | head -c ${seg} | dd of=${path} bs=4M seek=${offset / (4 * MiB)} conv=notrunc status=none`]);
    } else if (kind === "text") {
      const chunk = Buffer.alloc(seg);
      for (let o = 0; o < seg; o += text.length) text.copy(chunk, o, 0, Math.min(text.length, seg - o));
      const tmp = path + ".seg";
      writeFileSync(tmp, chunk);
      sh("dd", [`if=${tmp}`, `of=${path}`, "bs=4M", `seek=${offset / (4 * MiB)}`, "conv=notrunc", "status=none"]);
      rmSync(tmp);
    } else {
      sh("truncate", ["-s", String(offset + seg), path]);
    }
    offset += seg;
  }
  sh("truncate", ["-s", String(IMAGE_MB * MiB), path]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const why =
    process.getuid?.() !== 0
      ? "not root"
      : !existsSync("/dev/loop-control")
        ? "no /dev/loop-control"
        : !have("mender") || !have("mender-artifact")
          ? "mender-client / mender-artifact not installed"
          : !existsSync("/usr/bin/time")
            ? "no /usr/bin/time"
            : undefined;
  if (why) {
    console.log(`install bench skipped: ${why}`);
    return;
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  const work = mkdtempSync(join(tmpdir(), "ota-install-bench-"));
  let loop = "";
  try {
    // --- the child, bundled so it runs on plain node like the bundled agent
    const { build } = await import("esbuild");
    const childJs = join(work, "child.mjs");
    await build({
      entryPoints: [fileURLToPath(import.meta.url)],
      outfile: childJs,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      external: ["esbuild"],
      banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
      tsconfig: root + "tsconfig.json",
      logLevel: "warning",
    });

    console.log(`preparing a ${IMAGE_MB} MiB image and artifacts in ${work} ...`);
    const image = join(work, "rootfs.img");
    makeImage(image);
    const gz = join(work, "rootfs.img.gz");
    sh("sh", ["-c", `gzip -6 -c ${image} > ${gz}`]);
    const artifacts: Record<string, string> = {};
    for (const comp of ["gzip", "none"]) {
      artifacts[comp] = join(work, `bench-${comp}.mender`);
      sh("mender-artifact", ["write", "rootfs-image", "--compression", comp, "-f", image, "-n", "bench-2", "-t", "raspberrypi4", "-o", artifacts[comp]!, "--no-progress"]);
    }
    const imageSha = sh("sh", ["-c", `sha256sum ${image} | cut -d' ' -f1`]).trim();

    // --- disk: rpi-image-gen's six partitions; system_a = p4 (active), system_b = p5 (target)
    const partMb = IMAGE_MB + 64;
    const disk = join(work, "disk.img");
    sh("truncate", ["-s", `${8 + 64 + 64 + 2 * partMb + 16 + 4}M`, disk]);
    sh("sgdisk", [
      "-n1:2048:+8M", "-c1:bootconfig", "-n2:0:+64M", "-c2:boot_a", "-n3:0:+64M", "-c3:boot_b",
      `-n4:0:+${partMb}M`, "-c4:system_a", `-n5:0:+${partMb}M`, "-c5:system_b", "-n6:0:+16M", "-c6:persistent", disk,
    ]);
    loop = sh("losetup", ["-f", "--show", disk]).trim();
    sh("partx", ["-a", loop]);
    for (let p = 1; p <= 6; p++) {
      const name = `${loop}p${p}`;
      if (!existsSync(name)) {
        const [maj, min] = readFileSync(`/sys/class/block/${name.slice(5)}/dev`, "utf8").trim().split(":");
        sh("mknod", [name, "b", maj!, min!]);
      }
    }
    const target = `${loop}p5`;

    // --- the CLI's sysroot: device tree (booted from boot_a = p2), disk nodes = the loop disk, bootfs, data dir
    let cliArgv: string[] | undefined;
    let cliReset: (() => void) | undefined;
    try {
      const bundleDir = join(work, "bundle");
      sh(process.execPath, [root + "scripts/bundle.mjs", "--outdir", bundleDir]);
      const sysroot = join(work, "sysroot");
      const dt = join(sysroot, "proc/device-tree/chosen/bootloader");
      mkdirSync(dt, { recursive: true });
      const u32 = (n: number): Buffer => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      };
      writeFileSync(join(dt, "boot-mode"), u32(1));
      writeFileSync(join(dt, "partition"), u32(2));
      writeFileSync(join(dt, "tryboot"), u32(0));
      writeFileSync(join(dt, "capabilities"), u32(0x0c));
      mkdirSync(join(sysroot, "dev"), { recursive: true });
      const node = (name: string, sysName: string): void => {
        const [maj, min] = readFileSync(`/sys/class/block/${sysName}/dev`, "utf8").trim().split(":");
        sh("mknod", [join(sysroot, "dev", name), "b", maj!, min!]);
      };
      node("mmcblk0", loop.slice(5));
      for (let p = 1; p <= 6; p++) node(`mmcblk0p${p}`, `${loop.slice(5)}p${p}`);
      mkdirSync(join(sysroot, "bootfs"), { recursive: true });
      writeFileSync(join(sysroot, "bootfs/autoboot.txt"), "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n");
      mkdirSync(join(sysroot, "data"), { recursive: true });
      writeFileSync(join(sysroot, "data/device_type"), "device_type=raspberrypi4\n");
      for (const comp of ["gzip", "none"]) sh("cp", ["--reflink=auto", artifacts[comp]!, join(sysroot, `bench-${comp}.mender`)]);
      const config = join(work, "agent.json");
      writeFileSync(config, JSON.stringify({ sysroot, dataDir: "/data", deviceType: "raspberrypi4", log: { level: "warn" } }));
      cliArgv = [process.execPath, join(bundleDir, "ota-agent.mjs"), "--config", config, "--json", "install"];
      // each run is a fresh device: no deployment record, slot a committed and running, nothing armed
      cliReset = () => {
        rmSync(join(sysroot, "data"), { recursive: true, force: true });
        mkdirSync(join(sysroot, "data"), { recursive: true });
        writeFileSync(join(sysroot, "data/device_type"), "device_type=raspberrypi4\n");
        writeFileSync(join(sysroot, "bootfs/autoboot.txt"), "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n");
      };
    } catch (err) {
      console.log(`ota CLI row skipped: ${(err as Error).message.split("\n")[0]}`);
    }

    // --- mender's fake environment (see shared/bench/mender-standalone.sh for why each piece exists)
    const mdir = join(work, "mender");
    mkdirSync(join(mdir, "bin"), { recursive: true });
    mkdirSync(join(mdir, "etc-mender"), { recursive: true });
    const bootenv = join(mdir, "bootenv");
    writeFileSync(join(mdir, "bin/fw_printenv"), `#!/bin/sh
ENVF="${bootenv}"
[ $# -eq 0 ] && { cat "$ENVF"; exit 0; }
rc=0
for k in "$@"; do line=$(grep -m1 "^$k=" "$ENVF") && echo "$line" || { echo "## Error: \\"$k\\" not defined" >&2; rc=1; }; done
exit $rc
`);
    writeFileSync(join(mdir, "bin/fw_setenv"), `#!/bin/sh
ENVF="${bootenv}"
[ "$1" = "-s" ] || exit 1
src="$2"; [ "$src" = "-" ] && src=/dev/stdin
tmp="$ENVF.tmp"; cp "$ENVF" "$tmp"
while IFS= read -r line || [ -n "$line" ]; do
  [ -z "$line" ] && continue
  case "$line" in *=*) k=\${line%%=*}; v=\${line#*=};; *" "*) k=\${line%% *}; v=\${line#* };; *) k=$line; v=;; esac
  grep -v "^$k=" "$tmp" > "$tmp.2" || true; mv "$tmp.2" "$tmp"
  [ -n "$v" ] && echo "$k=$v" >> "$tmp"
done < "$src"
mv "$tmp" "$ENVF"
`);
    writeFileSync(join(mdir, "bin/mount"), `#!/bin/sh
[ $# -gt 0 ] && exec /usr/bin/mount "$@"
part=$(grep -m1 '^mender_boot_part=' "${bootenv}" | cut -d= -f2)
echo "${loop}p\${part} on / type ext4 (rw,relatime)"
/usr/bin/mount | grep -v ' on / '
`);
    for (const f of ["fw_printenv", "fw_setenv", "mount"]) chmodSync(join(mdir, "bin", f), 0o755);
    writeFileSync(join(mdir, "mender.conf"), JSON.stringify({
      RootfsPartA: `${loop}p4`,
      RootfsPartB: target,
      BootUtilitiesSetActivePart: join(mdir, "bin/fw_setenv"),
      BootUtilitiesGetNextActivePart: join(mdir, "bin/fw_printenv"),
      DeviceTypeFile: join(mdir, "device_type"),
      DBus: { Enabled: false },
    }));
    writeFileSync(join(mdir, "device_type"), "device_type=raspberrypi4\n");
    writeFileSync(join(mdir, "etc-mender/artifact_info"), "artifact_name=bench-1\n");
    writeFileSync(join(mdir, "run-mender.sh"), `#!/bin/sh
set -e
mount --bind "${join(mdir, "etc-mender")}" /etc/mender
export PATH="${join(mdir, "bin")}:$PATH"
exec mender --config "${join(mdir, "mender.conf")}" --fallback-config "${join(mdir, "none.conf")}" --data "${join(mdir, "data")}" --no-syslog --log-level warning "$@"
`);
    chmodSync(join(mdir, "run-mender.sh"), 0o755);

    const reset = (): void => {
      sh("blkdiscard", [target]); // zeroes the loop partition (punches holes in the backing file)
      writeFileSync(bootenv, "mender_boot_part=4\nmender_boot_part_hex=4\nupgrade_available=0\nbootcount=0\n");
      rmSync(join(mdir, "data"), { recursive: true, force: true });
      mkdirSync(join(mdir, "data"), { recursive: true });
      sh("sync", []);
    };
    const verify = (who: string): void => {
      const sha = sh("sh", ["-c", `head -c ${IMAGE_MB * MiB} ${target} | sha256sum | cut -d' ' -f1`]).trim();
      if (sha !== imageSha) throw new Error(`${who}: the target does not hold the image after the install`);
    };

    type Row = { who: string; comp: string; wall: number[]; rss: number[]; cpu: number[] };
    const rows: Row[] = [];
    const row = (who: string, comp: string): Row => {
      let r = rows.find((x) => x.who === who && x.comp === comp);
      if (!r) rows.push((r = { who, comp, wall: [], rss: [], cpu: [] }));
      return r;
    };
    const record = (who: string, comp: string, t: { wall: number; rssKb: number; cpu: number }): void => {
      const r = row(who, comp);
      r.wall.push(t.wall);
      r.rss.push(t.rssKb);
      r.cpu.push(t.cpu);
    };
    for (const comp of ["gzip", "none"]) {
      const artifact = artifacts[comp]!;
      const childArgs: ChildArgs = { artifact, active: `${loop}p4`, target, activeBoot: `${loop}p2`, otherBoot: `${loop}p3` };
      const contenders: Array<() => void> = [
        () => {
          reset();
          const t = timed([process.execPath, childJs, "--child", JSON.stringify(childArgs)]);
          verify("ota-agent pipeline");
          record("ota pipeline", comp, t);
        },
        () => {
          if (!cliArgv) return;
          reset();
          cliReset?.();
          try {
            const t = timed([...cliArgv, `/bench-${comp}.mender`]);
            verify("ota-agent CLI");
            record("ota CLI", comp, t);
          } catch (err) {
            console.log(`\nota CLI row dropped: ${(err as Error).message.slice(0, 600)}`);
            cliArgv = undefined;
          }
        },
        () => {
          reset();
          const t = timed(["unshare", "-m", "--propagation", "private", join(mdir, "run-mender.sh"), "install", artifact]);
          verify("mender");
          record("mender 3.4", comp, t);
        },
        () => {
          reset();
          const t = comp === "gzip"
            ? timed(["sh", "-c", `zcat ${gz} | dd of=${target} bs=4M conv=fsync status=none`])
            : timed(["dd", `if=${image}`, `of=${target}`, "bs=4M", "conv=fsync", "status=none"]);
          record(comp === "gzip" ? "zcat | dd" : "dd", comp, t);
        },
      ];
      for (let i = 0; i < RUNS; i++) {
        // rotate: round i starts with contender i
        for (let k = 0; k < contenders.length; k++) contenders[(i + k) % contenders.length]!();
        process.stdout.write(".");
      }
    }
    console.log("\n");
    const mb = (IMAGE_MB * MiB) / 1e6;
    console.log(`image ${IMAGE_MB} MiB (1/3 random, 1/3 text, 1/3 zeros); artifacts: gzip ${(statSync(artifacts.gzip!).size / MiB).toFixed(0)} MiB, none ${(statSync(artifacts.none!).size / MiB).toFixed(0)} MiB; ${RUNS} runs each, medians`);
    console.log("| compression | installer    | wall s (runs)           | median | MB/s | peak RSS MB (max) | CPU s | vs mender | vs limit |");
    console.log("|-------------|--------------|-------------------------|--------|------|-------------------|-------|-----------|----------|");
    for (const comp of ["gzip", "none"]) {
      const limit = rows.find((r) => r.comp === comp && (r.who === "dd" || r.who === "zcat | dd"))!;
      const mender = rows.find((r) => r.comp === comp && r.who === "mender 3.4")!;
      for (const r of rows.filter((x) => x.comp === comp)) {
        const w = median(r.wall);
        const rss = `${(median(r.rss) / 1024).toFixed(1)} (${(Math.max(...r.rss) / 1024).toFixed(1)})`;
        console.log(
          `| ${comp.padEnd(11)} | ${r.who.padEnd(12)} | ${r.wall.map((x) => x.toFixed(2)).join(", ").padEnd(23)} | ${w.toFixed(2).padStart(6)} | ${(mb / w).toFixed(0).padStart(4)} | ${rss.padStart(17)} | ${median(r.cpu).toFixed(2).padStart(5)} | ${(median(mender.wall) / w).toFixed(2).padStart(9)} | ${((median(limit.wall) / w) * 100).toFixed(0).padStart(7)}% |`,
        );
      }
    }
    console.log("(vs mender > 1: faster than mender; vs limit: share of the zcat|dd / dd throughput)");
  } finally {
    if (loop) {
      spawnSync("partx", ["-d", loop]);
      spawnSync("losetup", ["-d", loop]);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf("--child");
if (childAt > 0) await child(JSON.parse(process.argv[childAt + 1]!) as ChildArgs);
else await main();
