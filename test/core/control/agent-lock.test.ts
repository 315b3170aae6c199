// The agent lock: one deployment driver at a time, stale locks taken over, re-entrant for its own holder.
import { mkdtemp, rm, writeFile, mkdir, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentLock } from "../../../core/control/agent-lock.js";
import { isOtaError } from "../../../core/errors/index.js";
import { NodePlatform } from "../../../core/platform/node-platform.js";

const DATA = "/data/ota-agent";
let root: string;
let platform: NodePlatform;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "lock-"));
  platform = new NodePlatform({ sysroot: root });
});
afterEach(async () => rm(root, { recursive: true, force: true }));

const alive = (pids: number[]) => (pid: number) => pids.includes(pid);

describe("AgentLock", () => {
  it("excludes a second process while the first lives, naming the holder (exit code 4's error)", async () => {
    const first = await AgentLock.acquire(platform, DATA, "daemon", { pid: 100, isAlive: alive([100, 200]) });
    const err = await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([100, 200]) }).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_LOCKED")).toBe(true);
    expect((err as Error).message).toContain("pid 100 (daemon");
    await first.release();
    const second = await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([200]) });
    expect(second.owned).toBe(true);
  });

  it("holder-died takes the stale lock over", async () => {
    await AgentLock.acquire(platform, DATA, "daemon", { pid: 100, isAlive: alive([100]) });
    const next = await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([200]) });
    expect(next.owned).toBe(true);
    expect(await AgentLock.holder(platform, DATA, alive([200]))).toMatchObject({ pid: 200, command: "install" });
  });

  it("lock-from-an-earlier-boot is stale even if its pid is alive now", async () => {
    await mkdir(join(root, "proc/sys/kernel/random"), { recursive: true });
    await writeFile(join(root, "proc/sys/kernel/random/boot_id"), "boot-1\n");
    await AgentLock.acquire(platform, DATA, "daemon", { pid: 100, isAlive: alive([100]) });
    await writeFile(join(root, "proc/sys/kernel/random/boot_id"), "boot-2\n");
    const next = await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([100, 200]) });
    expect(next.owned).toBe(true);
  });

  it("is re-entrant for its holder and only the owning take removes it", async () => {
    const outer = await AgentLock.acquire(platform, DATA, "daemon", { pid: 100, isAlive: alive([100]) });
    const inner = await AgentLock.acquire(platform, DATA, "daemon", { pid: 100, isAlive: alive([100]) });
    expect(inner.owned).toBe(false);
    await inner.release();
    expect(await AgentLock.holder(platform, DATA, alive([100]))).toMatchObject({ pid: 100 });
    await outer.release();
    expect(await AgentLock.holder(platform, DATA, alive([100]))).toBeUndefined();
  });

  it("lock-file-garbage: a fresh one counts as being taken, an old one as stale", async () => {
    const file = join(root, DATA, "agent.lock");
    await mkdir(join(root, DATA), { recursive: true });
    await writeFile(file, "");
    const err = await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([200]) }).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_LOCKED")).toBe(true);
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    expect((await AgentLock.acquire(platform, DATA, "install", { pid: 200, isAlive: alive([200]) })).owned).toBe(true);
  });
});
