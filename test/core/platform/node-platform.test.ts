// The real Platform's processes, reboot policy and clock.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { SystemClock } from "../../../core/platform/system-clock.js";
import { isOtaError } from "../../../core/errors/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ota-platform-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("NodePlatform.run", () => {
  const platform = new NodePlatform();

  it("returns exit code, stdout and stderr; a non-zero exit is a value", async () => {
    const result = await platform.run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(result).toMatchObject({ code: 3, signal: null, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("feeds input and merges env", async () => {
    const result = await platform.run("sh", ["-c", 'cat; printf %s "$OTA_X"'], { input: "in-", env: { OTA_X: "y" } });
    expect(result.stdout).toBe("in-y");
  });

  it("runs in a cwd given as a device path under the sysroot", async () => {
    const rooted = new NodePlatform({ sysroot: dir });
    await rooted.fs.mkdir("/work");
    const result = await rooted.run("pwd", [], { cwd: "/work" });
    expect(result.stdout.trim()).toBe(join(dir, "work"));
  });

  it("command-prints-unbounded-output keeps only the tail", async () => {
    const result = await platform.run("sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' a; printf END"], {
      maxOutputBytes: 1000,
    });
    expect(result.stdout.length).toBe(1000);
    expect(result.stdout.endsWith("aEND")).toBe(true);
  });

  it("command-hangs is stopped with SIGTERM at the timeout", async () => {
    const result = await platform.run("sleep", ["30"], { timeoutMs: 100 });
    expect(result).toMatchObject({ timedOut: true, signal: "SIGTERM", code: null });
  });

  it("command-ignores-SIGTERM is killed with SIGKILL", async () => {
    const result = await platform.run("sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"], {
      timeoutMs: 200,
    });
    expect(result).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(result.stdout).toBe("ready\n");
  });

  it("script-leaves-child-running: the timeout ends the whole process group, not just the script", async () => {
    const result = await platform.run("sh", ["-c", "sleep 120 & echo $!; wait"], { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    // Gone, or a zombie waiting for a reaper (PID 1 in a container may never reap it): either way not running.
    const state = existsSync(`/proc/${grandchild}/stat`)
      ? (await readFile(`/proc/${grandchild}/stat`, "utf8")).split(") ")[1]?.charAt(0)
      : "gone";
    expect(["gone", "Z", "X"]).toContain(state);
  }, 20_000); // without group kill, run() would wait the full 120 s for the orphan's pipes


  it("an abort signal stops the command and rejects with its reason", async () => {
    const controller = new AbortController();
    const running = platform.run("sleep", ["30"], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutdown")), 50);
    await expect(running).rejects.toThrow("shutdown");
  });

  it("a missing command is OTA_ERR_PROCESS_SPAWN", async () => {
    const err = await platform.run("/nonexistent/tool", []).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_PROCESS_SPAWN")).toBe(true);
  });

  it("runChecked throws OTA_ERR_PROCESS_FAILED with stderr, and OTA_ERR_PROCESS_TIMEOUT", async () => {
    const failed = await platform.runChecked("sh", ["-c", "echo bad input >&2; exit 1"]).catch((e: unknown) => e);
    expect(isOtaError(failed, "OTA_ERR_PROCESS_FAILED")).toBe(true);
    expect((failed as Error).message).toContain("bad input");
    const slow = await platform.runChecked("sleep", ["5"], { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isOtaError(slow, "OTA_ERR_PROCESS_TIMEOUT")).toBe(true);
    expect((await platform.runChecked("true", [])).code).toBe(0);
  });
});

describe("NodePlatform.reboot", () => {
  it("reboot-with-sysroot-and-no-command is refused", async () => {
    const platform = new NodePlatform({ sysroot: dir });
    const err = await platform.reboot("0 tryboot").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_REBOOT_REFUSED")).toBe(true);
  });

  it("runs the configured reboot command with the argument appended", async () => {
    const marker = join(dir, "rebooted");
    const platform = new NodePlatform({
      sysroot: dir,
      rebootCommand: ["sh", "-c", 'printf %s "$1" > "$0"', marker],
    });
    await platform.reboot("0 tryboot");
    expect(await readFile(marker, "utf8")).toBe("0 tryboot");
  });

  it("a failing reboot command is OTA_ERR_REBOOT_FAILED", async () => {
    const platform = new NodePlatform({ sysroot: dir, rebootCommand: ["sh", "-c", "echo no power >&2; exit 1"] });
    const err = await platform.reboot().catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_REBOOT_FAILED")).toBe(true);
    expect((err as Error).message).toContain("no power");
  });

  it("checkpoint is a no-op on the real platform", () => {
    expect(() => new NodePlatform().checkpoint("state:ArtifactCommit:saved")).not.toThrow();
  });
});

describe("SystemClock", () => {
  it("sleeps, and rejects with the abort reason", async () => {
    const clock = new SystemClock();
    const before = clock.monotonic();
    await clock.sleep(20);
    expect(clock.monotonic()).toBeGreaterThan(before);
    const controller = new AbortController();
    const sleeping = clock.sleep(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    await expect(clock.sleep(1, controller.signal)).rejects.toThrow("stop");
  });
});

const loopSkip = !existsSync("/dev/loop-control")
  ? "no /dev/loop-control on this machine"
  : process.getuid?.() !== 0
    ? "loop devices need root"
    : undefined;

describe.skipIf(loopSkip !== undefined)(`block device size${loopSkip ? ` (skipped: ${loopSkip})` : ""}`, () => {
  it("FileHandle.size gives the size of a loop device, not st_size 0", async () => {
    const platform = new NodePlatform();
    const image = join(dir, "disk.img");
    const bytes = 3 * 1024 * 1024 + 7 * 512;
    await platform.runChecked("truncate", ["-s", String(bytes), image]);
    const device = (await platform.runChecked("losetup", ["-f", "--show", image])).stdout.trim();
    try {
      const handle = await platform.fs.open(device, "r");
      try {
        expect((await handle.stat()).isBlockDevice).toBe(true);
        expect(await handle.size()).toBe(bytes);
      } finally {
        await handle.close();
      }
    } finally {
      await platform.run("losetup", ["-d", device]);
    }
  });
});
