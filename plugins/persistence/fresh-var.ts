// Gives a newly committed slot a fresh /var (keep, reseed or copy-from-previous): built aside, swapped in at boot.
import { createHash } from "node:crypto";
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError, asOtaError } from "../../core/errors/index.js";
import type { SystemSlot } from "./booted-system.js";
import { PERSISTENT_MOUNT } from "./unit-plan.js";

export type FreshVarPolicy = "keep" | "reseed" | "copy-from-previous";

export interface FreshVarOptions {
  policy: FreshVarPolicy;
  /** Seed directory inside the (new, running) system. */
  seed: string;
  /** Paths under /var whose contents copy-from-previous leaves out. */
  exclude: readonly string[];
}

/** Marker inside a prepared /var: which system and policy it was built for, so a re-run does not rebuild it. */
export const FRESH_VAR_MARKER = ".ota-agent-fresh-var";
/** Files that identify the running system's build; hashed into the marker's stamp. */
const IDENTITY_FILES = ["/etc/rpi-issue", "/etc/os-release", "/usr/lib/os-release", "/etc/ota-agent/artifact_info"];

export interface PrepareResult {
  action: "kept" | "prepared" | "already-prepared";
  /** Device path of the prepared tree (`var.ota-next`), when one was built. */
  path?: string;
}

/**
 * Layout under `/persistent/slots/<slot>/`: `var` (bound on /var), `.var.ota-build` (being built; removed on any
 * re-run), `var.ota-next` (complete, waiting for the next boot), `var.ota-old` (being removed).
 *
 * prepare() runs after a commit, while the committed slot's current /var is mounted and in use: it can never be
 * replaced in place, so the fresh tree is built aside and renamed to `var.ota-next` in one step (a power cut leaves
 * either no next or a complete one). swap() runs at the next boot before var.mount and moves it in with renames
 * only; every intermediate state is recognised and finished by the next run.
 */
export class FreshVar {
  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly options: FreshVarOptions,
  ) {}

  async prepare(target: SystemSlot, previous: SystemSlot, deploymentId?: string): Promise<PrepareResult> {
    if (this.options.policy === "keep") return { action: "kept" };
    const fs = this.platform.fs;
    const slots = `${PERSISTENT_MOUNT}/slots`;
    if (!(await fs.stat(slots))?.isDirectory) {
      throw new OtaError("OTA_ERR_PERSIST_NOT_MOUNTED", `fresh /var: ${slots} is not a directory (is ${PERSISTENT_MOUNT} mounted?)`, {
        details: { path: slots },
      });
    }
    const slotDir = `${slots}/${target}`;
    const build = `${slotDir}/.var.ota-build`;
    const next = `${slotDir}/var.ota-next`;
    const stamp = await this.stamp(target, deploymentId);
    for (const candidate of [next, `${slotDir}/var`]) {
      const marker = await readMarker(this.platform, `${candidate}/${FRESH_VAR_MARKER}`);
      if (marker?.stamp === stamp) {
        this.log.info({ event: "persistence.fresh-var.already", slot: target, path: candidate }, "fresh /var already prepared");
        return { action: "already-prepared", path: candidate };
      }
    }

    await fs.mkdir(slotDir, { recursive: true, mode: 0o755 });
    await fs.rm(build, { recursive: true, force: true });
    await fs.rm(`${build}.status`, { force: true });
    try {
      await fs.mkdir(build, { mode: 0o755 });
      if (this.options.policy === "reseed") await this.copySeed(build);
      else await this.copyPrevious(`${slots}/${previous}/var`, build);
      await this.ensureSkeleton(build);
      const marker = {
        stamp,
        system: await this.systemStamp(),
        policy: this.options.policy,
        target,
        previous,
        preparedAt: new Date(this.platform.clock.now()).toISOString(),
      };
      await fs.writeFileDurable(`${build}/${FRESH_VAR_MARKER}`, `${JSON.stringify(marker)}\n`, 0o644);
      // cp/tar do not fsync: flush the whole filesystem before the rename makes the tree count as complete
      await this.platform.runChecked("sync", ["-f", this.platform.path(build)]);
    } catch (err) {
      await fs.rm(build, { recursive: true, force: true }).catch(() => undefined);
      if (err instanceof OtaError && err.code === "OTA_ERR_PERSIST_VAR_SEED_MISSING") throw err;
      throw asOtaError(err, "OTA_ERR_PERSIST_VAR_REFRESH", `fresh /var (${this.options.policy}) for ${target}`);
    }
    this.platform.checkpoint("persistence:fresh-var:built");
    try {
      await fs.rm(next, { recursive: true, force: true });
      await fs.rename(build, next);
      await fs.fsyncDir(slotDir);
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_PERSIST_VAR_REFRESH", `fresh /var (${this.options.policy}) for ${target}: publish ${next}`);
    }
    this.platform.checkpoint("persistence:fresh-var:ready");
    this.log.info(
      { event: "persistence.fresh-var.prepared", slot: target, policy: this.options.policy },
      `fresh /var for ${target} prepared; it replaces the current one at the next boot`,
    );
    return { action: "prepared", path: next };
  }

  /**
   * Moves a prepared `var.ota-next` into place (before var.mount). States and what a re-run does:
   * {var, next} → rename var→old → {old, next} → rename next→var → {old, var} → remove old → {var}.
   */
  async swap(slot: SystemSlot): Promise<"swapped" | "nothing" | "discarded"> {
    const fs = this.platform.fs;
    const slotDir = `${PERSISTENT_MOUNT}/slots/${slot}`;
    const live = `${slotDir}/var`;
    const next = `${slotDir}/var.ota-next`;
    const old = `${slotDir}/var.ota-old`;
    // file-system faults become OTA_ERR_PERSIST_VAR_SWAP; checkpoints stay outside so a (simulated) power cut
    // propagates as itself
    const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw asOtaError(err, "OTA_ERR_PERSIST_VAR_SWAP", `swap fresh /var of ${slot}: ${what}`);
      }
    };
    const exists = (path: string): Promise<boolean> => step(`stat ${path}`, async () => Boolean(await fs.lstat(path)));
    const removeOld = (): Promise<void> => step(`remove ${old}`, () => fs.rm(old, { recursive: true, force: true }));

    if (!(await exists(next))) {
      // an earlier swap was cut before its old copy was removed
      if ((await exists(old)) && (await exists(live))) await removeOld();
      return "nothing";
    }
    // A tree prepared for an earlier system of this slot (committed, never rebooted into, then the slot was
    // overwritten by a later update) must not become the new system's /var: drop it, keep the slot's own.
    const marker = await readMarker(this.platform, `${next}/${FRESH_VAR_MARKER}`);
    const running = await this.systemStamp();
    if (marker?.system !== undefined && marker.system !== running) {
      await step(`remove stale ${next}`, () => fs.rm(next, { recursive: true, force: true }));
      this.log.warn(
        { event: "persistence.fresh-var.stale", slot },
        `${next} was prepared for another system than the one booting (the slot was rewritten since): discarded`,
      );
      return "discarded";
    }
    if ((await exists(old)) && (await exists(live))) {
      await removeOld();
      await step("sync", () => fs.fsyncDir(slotDir));
    }
    if (await exists(live)) {
      await step(`move ${live} aside`, async () => {
        await fs.rename(live, old);
        await fs.fsyncDir(slotDir);
      });
      this.platform.checkpoint("persistence:var-swap:old-moved");
    }
    await step(`move ${next} in`, async () => {
      await fs.rename(next, live);
      await fs.fsyncDir(slotDir);
    });
    this.platform.checkpoint("persistence:var-swap:next-moved");
    await removeOld();
    this.log.info({ event: "persistence.fresh-var.swapped", slot }, `fresh /var of ${slot} is now in place`);
    return "swapped";
  }

  /**
   * A slot with no `/var` directory on the persistent partition at all (a blank partition, a layout not made by
   * rpi-image-gen): seed it from the image's own /var (still the root's, this runs before var.mount), built aside
   * and renamed in, so var.mount has something to bind instead of leaving the read-only skeleton.
   */
  async seedMissing(slot: SystemSlot): Promise<"seeded" | "present"> {
    const fs = this.platform.fs;
    const slotDir = `${PERSISTENT_MOUNT}/slots/${slot}`;
    const live = `${slotDir}/var`;
    if ((await fs.lstat(live)) || (await fs.lstat(`${slotDir}/var.ota-next`))) return "present";
    const build = `${slotDir}/.var.ota-build`;
    try {
      await fs.mkdir(slotDir, { recursive: true, mode: 0o755 });
      await fs.rm(build, { recursive: true, force: true });
      await fs.mkdir(build, { mode: 0o755 });
      if ((await fs.stat("/var"))?.isDirectory) {
        await this.platform.runChecked("cp", ["-a", "--", `${this.platform.path("/var")}/.`, this.platform.path(build)], {
          timeoutMs: 30 * 60_000,
        });
      }
      await this.ensureSkeleton(build);
      await this.platform.runChecked("sync", ["-f", this.platform.path(build)]);
    } catch (err) {
      await fs.rm(build, { recursive: true, force: true }).catch(() => undefined);
      throw asOtaError(err, "OTA_ERR_PERSIST_VAR_REFRESH", `seed missing /var of ${slot} from the image`);
    }
    this.platform.checkpoint("persistence:var-seed:built");
    try {
      await fs.rename(build, live);
      await fs.fsyncDir(slotDir);
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_PERSIST_VAR_REFRESH", `seed missing /var of ${slot}: publish ${live}`);
    }
    this.log.info({ event: "persistence.var.seeded", slot }, `${live} was missing: seeded from the image's /var`);
    return "seeded";
  }

  private async copySeed(build: string): Promise<void> {
    const seed = this.options.seed;
    if (!(await this.platform.fs.stat(seed))?.isDirectory) {
      throw new OtaError(
        "OTA_ERR_PERSIST_VAR_SEED_MISSING",
        `fresh /var: policy reseed but the committed system has no seed directory ${seed}`,
        { details: { seed } },
      );
    }
    await this.platform.runChecked("cp", ["-a", "--", `${this.platform.path(seed)}/.`, this.platform.path(build)], {
      timeoutMs: 30 * 60_000,
    });
  }

  private async copyPrevious(previousVar: string, build: string): Promise<void> {
    if (!(await this.platform.fs.stat(previousVar))?.isDirectory) {
      throw new OtaError("OTA_ERR_PERSIST_VAR_REFRESH", `fresh /var: previous slot's ${previousVar} is missing`, {
        details: { previousVar },
      });
    }
    const excludes = this.options.exclude.flatMap((path) => {
      const rel = path.replace(/^\/+|\/+$/g, "");
      return rel === "" ? [] : [`--exclude=./${rel}/*`];
    });
    // Two tars through a pipe keep owners, modes, links and special files; the creating side's status is written
    // to a file because POSIX sh has no pipefail. Arguments are positional: paths are never parsed by the shell.
    const status = `${build}.status`;
    const script =
      'src="$1"; dst="$2"; st="$3"; shift 3; ' +
      '( tar -C "$src" --numeric-owner --anchored "$@" -cpf - . ; echo $? > "$st" ) | tar -C "$dst" --numeric-owner -xpf - ; ' +
      'x=$?; c=$(cat "$st"); rm -f "$st"; [ "$x" -eq 0 ] && [ "$c" -eq 0 ]';
    await this.platform.runChecked(
      "sh",
      ["-c", script, "sh", this.platform.path(previousVar), this.platform.path(build), this.platform.path(status), ...excludes],
      { timeoutMs: 30 * 60_000 },
    );
    await this.platform.fs.rm(`${build}/${FRESH_VAR_MARKER}`, { force: true });
  }

  /** Directories a read-only-root system needs in /var (systemd's PrivateTmp uses /var/tmp). */
  private async ensureSkeleton(build: string): Promise<void> {
    const fs = this.platform.fs;
    for (const dir of ["log", "cache", "lib", "spool"]) await fs.mkdir(`${build}/${dir}`, { recursive: true, mode: 0o755 });
    if (!(await fs.lstat(`${build}/tmp`))) {
      await fs.mkdir(`${build}/tmp`, { mode: 0o1777 });
    }
    await this.platform.runChecked("chmod", ["1777", this.platform.path(`${build}/tmp`)]);
  }

  /** Identifies the committed system build (and deployment, when known) so a re-run recognises its own work. */
  private async stamp(target: SystemSlot, deploymentId?: string): Promise<string> {
    const hash = createHash("sha256");
    hash.update(`${target}\0${this.options.policy}\0${deploymentId ?? ""}\0`);
    hash.update(await this.systemStamp());
    return hash.digest("hex");
  }

  /** Identifies the running system build alone (read-only root files), so a boot can tell whose tree it finds. */
  private async systemStamp(): Promise<string> {
    const hash = createHash("sha256");
    for (const file of IDENTITY_FILES) {
      const text = await this.platform.fs.readText(file).catch(() => undefined);
      hash.update(`${file}\0${text ?? ""}\0`);
    }
    return hash.digest("hex");
  }
}

async function readMarker(platform: Platform, path: string): Promise<{ stamp?: string; system?: string } | undefined> {
  const text = await platform.fs.readText(path).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as { stamp?: string; system?: string };
  } catch {
    return undefined;
  }
}
