// The agent lock: one process at a time drives deployments (the daemon, or a standalone install/commit/rollback/resume).
import type { Platform } from "../capabilities/platform.js";
import { OtaError } from "../errors/index.js";

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  /** The kernel's boot id when the lock was taken: a pid from an earlier boot is never a live holder. */
  bootId?: string;
  command: string;
  since: string;
}

export interface AcquireOptions {
  /** Default: this process's pid. */
  pid?: number;
  /** Default: `process.kill(pid, 0)` (EPERM counts as alive). */
  isAlive?: (pid: number) => boolean;
}

const BOOT_ID = "/proc/sys/kernel/random/boot_id";
/** A lock file still empty this long after its creation belongs to a holder that died between create and write. */
const EMPTY_GRACE_MS = 5_000;

/**
 * `<dataDir>/agent.lock`, created with O_EXCL and holding `{pid, bootId, command, since}`. A lock whose holder is
 * gone (no such pid, or taken in an earlier boot) is stale and taken over. Taking it again in the process that
 * holds it succeeds without owning it (the daemon runs deployments under its own lifetime lock), so only the
 * first `release` removes the file. The file lives in the data dir, not /run, because a standalone install and
 * the daemon must see the same lock whatever their runtime directories; it is not a record (never synced): after
 * a power cut a leftover lock is stale by its boot id or its pid.
 */
export class AgentLock {
  private released = false;

  private constructor(
    private readonly platform: Platform,
    /** Device path of the lock file. */
    readonly path: string,
    /** False for a re-entrant take by the holder itself: release then leaves the file alone. */
    readonly owned: boolean,
  ) {}

  static pathFor(dataDir: string): string {
    return `${dataDir.replace(/\/+$/, "")}/agent.lock`;
  }

  /** Takes the lock for `command`. Throws OTA_ERR_LOCKED (exit code 4) naming the live holder. */
  static async acquire(platform: Platform, dataDir: string, command: string, options: AcquireOptions = {}): Promise<AgentLock> {
    const pid = options.pid ?? process.pid;
    const isAlive = options.isAlive ?? processAlive;
    const path = AgentLock.pathFor(dataDir);
    const bootId = await readBootId(platform);
    await platform.fs.mkdir(dataDir.replace(/\/+$/, "") || "/", { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      const holder: LockHolder = { pid, command, since: new Date(platform.clock.now()).toISOString(), ...(bootId ? { bootId } : {}) };
      try {
        const handle = await platform.fs.open(path, "wx", 0o600);
        try {
          const bytes = Buffer.from(JSON.stringify(holder) + "\n");
          await handle.write(bytes, 0, bytes.length, 0);
        } finally {
          await handle.close();
        }
        return new AgentLock(platform, path, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new OtaError("OTA_ERR_LOCKED", `agent lock ${path} could not be created: ${(err as Error).message}`, {
            cause: err,
            details: { path },
          });
        }
      }
      const text = await platform.fs.readText(path).catch(() => undefined);
      if (text === undefined) continue; // removed meanwhile: try again
      const current = parseHolder(text);
      if (!current) {
        const stat = await platform.fs.stat(path);
        if (stat && platform.clock.now() - stat.mtimeMs < EMPTY_GRACE_MS) {
          throw new OtaError("OTA_ERR_LOCKED", `agent lock ${path} is being taken by another process`, { details: { path } });
        }
      } else {
        const sameBoot = !current.bootId || !bootId || current.bootId === bootId;
        if (current.pid === pid && sameBoot) return new AgentLock(platform, path, false);
        if (sameBoot && isAlive(current.pid)) {
          throw new OtaError(
            "OTA_ERR_LOCKED",
            `another agent process holds the lock ${path}: pid ${current.pid} (${current.command}, since ${current.since})`,
            { details: { path, pid: current.pid, command: current.command, since: current.since } },
          );
        }
      }
      // Stale: remove it only if it is still the file we judged (another process may have taken it over meanwhile).
      if ((await platform.fs.readText(path).catch(() => undefined)) === text) {
        await platform.fs.unlink(path).catch(() => undefined);
      }
    }
    throw new OtaError("OTA_ERR_LOCKED", `agent lock ${path} keeps changing hands; try again`, { details: { path } });
  }

  /** The live holder, if any (for `status`); stale locks read as none. */
  static async holder(platform: Platform, dataDir: string, isAlive: (pid: number) => boolean = processAlive): Promise<LockHolder | undefined> {
    const text = await platform.fs.readText(AgentLock.pathFor(dataDir)).catch(() => undefined);
    const current = text === undefined ? undefined : parseHolder(text);
    if (!current) return undefined;
    const bootId = await readBootId(platform);
    if (current.bootId && bootId && current.bootId !== bootId) return undefined;
    return isAlive(current.pid) ? current : undefined;
  }

  /** Removes the lock file if this take created it; idempotent. */
  async release(): Promise<void> {
    if (this.released || !this.owned) return;
    this.released = true;
    await this.platform.fs.unlink(this.path).catch(() => undefined);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const raw = JSON.parse(text) as Partial<LockHolder>;
    if (typeof raw.pid !== "number" || !Number.isInteger(raw.pid) || raw.pid <= 0) return undefined;
    return {
      pid: raw.pid,
      command: typeof raw.command === "string" ? raw.command : "unknown",
      since: typeof raw.since === "string" ? raw.since : "unknown",
      ...(typeof raw.bootId === "string" ? { bootId: raw.bootId } : {}),
    };
  } catch {
    return undefined;
  }
}

async function readBootId(platform: Platform): Promise<string | undefined> {
  const text = await platform.fs.readText(BOOT_ID).catch(() => undefined);
  const id = text?.trim();
  return id ? id : undefined;
}

/**
 * Signal 0 probes a pid without touching it. Process ids belong to this host's kernel, not to the device tree, so
 * this is the one check that does not go through Platform (a simulated device's agents are host processes too).
 */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
