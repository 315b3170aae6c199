// UpdateModule writing A/B slot payloads (rpi-ab-slot: boot+system; rootfs-image: system) and driving the Bootloader.
import type { Platform } from "../../core/capabilities/platform.js";
import type { Bootloader } from "../../core/capabilities/bootloader.js";
import type { SlotName, SlotResolver } from "../../core/capabilities/slot-resolver.js";
import type { ModuleContext, PayloadFile, RebootNeed, UpdateModule } from "../../core/capabilities/update-module.js";
import { OtaError } from "../../core/errors/index.js";
import type { ImageWriteResult } from "./image-writer.js";

export interface AbImageSettings {
  frameBytes: number;
  readCompareWrite: boolean;
  readBackVerify: boolean;
}

/** What survives the reboot, in `<ctx.workDir>/ab-image.json`. */
export interface AbImageState {
  schemaVersion: 1;
  payloadType: string;
  /** The slot written and (with a bootloader) armed. */
  target: SlotName;
  /** The committed slot before this deployment: where a rollback must end. */
  previous: SlotName;
  written: { file: string; target: string; imageBytes: number; framesWritten: number; framesUnchanged: number }[];
  /** True once ArtifactInstall armed the trial; false when no bootloader was loaded ("written but not armed"). */
  armed?: boolean;
}

/** Which slot partition each payload file goes to. */
type Role = "boot" | "system";

/**
 * `rpi-ab-slot` carries `boot` and `system` (artifacts/README.md), `rootfs-image` one file for `system`.
 * Download writes only the other slot's partitions and never arms; ArtifactInstall arms last.
 */
export class AbImageModule implements UpdateModule {
  constructor(
    readonly payloadType: "rpi-ab-slot" | "rootfs-image",
    private readonly platform: Platform,
    private readonly slots: () => SlotResolver,
    private readonly bootloader: () => Bootloader | undefined,
    private readonly settings: () => AbImageSettings,
  ) {}

  private roleOf(file: PayloadFile, seen: Set<Role>): Role {
    if (this.payloadType === "rootfs-image") {
      if (seen.size > 0) {
        throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `rootfs-image payload has more than one file ("${file.name}")`, {
          details: { file: file.name },
        });
      }
      return "system";
    }
    const base = file.name.replace(/\.(img|sparse|raw|simg|vfat|ext4|erofs)$/, "");
    if (base !== "boot" && base !== "system") {
      throw new OtaError(
        "OTA_ERR_INSTALL_PAYLOAD_INVALID",
        `rpi-ab-slot payload file "${file.name}" is neither boot nor system`,
        { details: { file: file.name } },
      );
    }
    if (seen.has(base)) {
      throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `rpi-ab-slot payload has "${base}" twice`, {
        details: { file: file.name },
      });
    }
    return base;
  }

  async download(ctx: ModuleContext, files: AsyncIterable<PayloadFile>): Promise<void> {
    const layout = await this.slots().resolve();
    const bootloader = this.bootloader();
    let previous: SlotName = layout.active.slot;
    if (bootloader) {
      const state = await bootloader.state();
      previous = state.committed;
      // a stale arm of the slot we are about to overwrite must not survive a power cut mid-write
      if (state.armed === layout.other.slot) await bootloader.disarm();
    }
    const settings = this.settings();
    const state: AbImageState = {
      schemaVersion: 1,
      payloadType: this.payloadType,
      target: layout.other.slot,
      previous,
      written: [],
    };
    const seen = new Set<Role>();
    for await (const file of files) {
      let role: Role;
      try {
        role = this.roleOf(file, seen);
      } catch (err) {
        file.stream.destroy();
        throw err;
      }
      seen.add(role);
      const target = layout.other[role];
      ctx.log.info({ event: "install.image.start", file: file.name, target, slot: layout.other.slot });
      // loaded on first use: the writer pulls in artifacts/ (sparse decoder), which no other command needs
      const { writeImage } = await import("./image-writer.js");
      const result: ImageWriteResult = await writeImage(this.platform, layout, file, target, {
        ...settings,
        signal: ctx.signal,
        log: ctx.log,
        onBytes: (bytes) => ctx.progress?.(bytes, file.size),
      });
      state.written.push({
        file: file.name,
        target,
        imageBytes: result.imageBytes,
        framesWritten: result.written,
        framesUnchanged: result.unchanged,
      });
    }
    const required: Role[] = this.payloadType === "rootfs-image" ? ["system"] : ["boot", "system"];
    const missing = required.filter((r) => !seen.has(r));
    if (missing.length > 0) {
      throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `${this.payloadType} payload lacks ${missing.join(" and ")}`, {
        details: { missing },
      });
    }
    await this.save(ctx, state);
  }

  async artifactInstall(ctx: ModuleContext): Promise<void> {
    const state = await this.load(ctx);
    const bootloader = this.bootloader();
    if (!bootloader) {
      ctx.log.warn(
        { event: "install.not-armed", slot: state.target },
        `slot ${state.target} written but not armed: no bootloader plugin is loaded`,
      );
      await this.save(ctx, { ...state, armed: false });
      return;
    }
    await bootloader.armTrial(state.target);
    await this.save(ctx, { ...state, armed: true });
    ctx.log.info({ event: "install.armed", slot: state.target }, `slot ${state.target} armed for a trial boot`);
  }

  async needsArtifactReboot(_ctx: ModuleContext): Promise<RebootNeed> {
    return Promise.resolve("Yes");
  }

  async artifactReboot(_ctx: ModuleContext): Promise<void> {
    await this.requireBootloader("ArtifactReboot").reboot({ trial: true });
  }

  async artifactVerifyReboot(ctx: ModuleContext): Promise<void> {
    const state = await this.load(ctx);
    const boot = await this.requireBootloader("ArtifactVerifyReboot").state();
    if (boot.booted !== state.target || !boot.trial) {
      throw new OtaError(
        "OTA_ERR_INSTALL_VERIFY_REBOOT",
        `expected a trial boot of slot ${state.target}, running slot ${boot.booted}${boot.trial ? " (trial)" : " (not a trial)"}`,
        { details: { expected: state.target, booted: boot.booted, trial: boot.trial } },
      );
    }
  }

  async artifactCommit(_ctx: ModuleContext): Promise<void> {
    const bootloader = this.requireBootloader("ArtifactCommit");
    const boot = await bootloader.state();
    await bootloader.commit(boot.booted);
  }

  async supportsRollback(_ctx: ModuleContext): Promise<boolean> {
    return Promise.resolve(true);
  }

  async artifactRollback(_ctx: ModuleContext): Promise<void> {
    await this.bootloader()?.disarm();
  }

  async artifactRollbackReboot(_ctx: ModuleContext): Promise<void> {
    await this.requireBootloader("ArtifactRollbackReboot").reboot({ trial: false });
  }

  async artifactVerifyRollbackReboot(ctx: ModuleContext): Promise<void> {
    const state = await this.load(ctx);
    const boot = await this.requireBootloader("ArtifactVerifyRollbackReboot").state();
    if (boot.booted !== state.previous) {
      throw new OtaError(
        "OTA_ERR_INSTALL_VERIFY_REBOOT",
        `after the rollback reboot slot ${boot.booted} runs, expected the previously committed slot ${state.previous}`,
        { details: { expected: state.previous, booted: boot.booted } },
      );
    }
  }

  async artifactFailure(_ctx: ModuleContext): Promise<void> {
    await this.bootloader()?.disarm();
  }

  async cleanup(_ctx: ModuleContext): Promise<void> {
    // the state file lives in ctx.workDir, which the state machine removes after Cleanup
  }

  private requireBootloader(state: string): Bootloader {
    const bootloader = this.bootloader();
    if (!bootloader) {
      throw new OtaError("OTA_ERR_CAPABILITY_MISSING", `${state} needs a bootloader plugin (none is loaded)`, {
        details: { capability: "bootloader", state },
      });
    }
    return bootloader;
  }

  private statePath(ctx: ModuleContext): string {
    return `${ctx.workDir}/ab-image.json`;
  }

  private async save(ctx: ModuleContext, state: AbImageState): Promise<void> {
    await this.platform.fs.mkdir(ctx.workDir, { recursive: true });
    await this.platform.fs.writeFileDurable(this.statePath(ctx), JSON.stringify(state, null, 2) + "\n");
  }

  private async load(ctx: ModuleContext): Promise<AbImageState> {
    const text = await this.platform.fs.readText(this.statePath(ctx));
    if (text === undefined) {
      throw new OtaError("OTA_ERR_INSTALL_STATE", `${this.statePath(ctx)}: missing (was Download run?)`, {
        details: { path: this.statePath(ctx) },
      });
    }
    try {
      const state = JSON.parse(text) as AbImageState;
      if (state.schemaVersion !== 1 || (state.target !== "a" && state.target !== "b")) throw new Error("bad shape");
      return state;
    } catch (err) {
      throw new OtaError("OTA_ERR_INSTALL_STATE", `${this.statePath(ctx)}: unreadable`, { cause: err });
    }
  }
}
