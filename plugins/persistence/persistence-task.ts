// The persistence BootTask: mount units from the generator, the early /var swap and shared seeding, post-commit /var.
import type { BootPhase, BootTask, BootTaskContext } from "../../core/capabilities/boot-task.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError } from "../../core/errors/index.js";
import { systemSlotOf, type BootedSystemDetector, type SystemSlot } from "./booted-system.js";
import type { FreshVar } from "./fresh-var.js";
import type { PersistenceGenerator } from "./persistence-generator.js";
import type { SharedSeeder } from "./shared-seeder.js";
import { readSlotSharedPaths } from "./slot-shared-config.js";
import type { Platform } from "../../core/capabilities/platform.js";

export interface EarlyOptions {
  /** The slot the generator decided (passed on the unit's command line so both agree). */
  slot?: SystemSlot;
  /** Seed slot-shared paths (the generator asks for it only when the image's own generator is absent). */
  shared: boolean;
}

export class PersistenceTask implements BootTask {
  readonly name = "persistence";
  readonly phases: readonly BootPhase[] = ["generator", "early", "post-commit"];

  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly detector: BootedSystemDetector,
    private readonly generator: PersistenceGenerator,
    private readonly freshVar: FreshVar,
    private readonly seeder: SharedSeeder,
  ) {}

  async run(ctx: BootTaskContext): Promise<void> {
    switch (ctx.phase) {
      case "generator": {
        if (!ctx.generatorDirs) {
          throw new OtaError("OTA_ERR_PERSIST_GENERATOR_DIR", "generator phase without output directories", {});
        }
        await this.generator.run(ctx.generatorDirs.normal);
        return;
      }
      case "early":
        await this.early({ slot: ctx.slot ? systemSlotOf(ctx.slot) : undefined, shared: false });
        return;
      case "post-commit": {
        if (!ctx.committed) return;
        const committed = ctx.committed;
        await this.freshVar.prepare(systemSlotOf(committed.slot), systemSlotOf(committed.previous), committed.deploymentId);
        return;
      }
    }
  }

  /** Before var.mount: move a prepared fresh /var in (or seed a missing one), then (when asked) the shared paths. */
  async early(options: EarlyOptions): Promise<void> {
    const slot = options.slot ?? (await this.detector.detect()).slot;
    await this.freshVar.swap(slot);
    await this.freshVar.seedMissing(slot);
    if (options.shared) {
      const shared = await readSlotSharedPaths(this.platform.fs);
      for (const skip of shared.skipped) this.log.warn({ event: "persistence.slot-shared.skipped" }, `${skip.file}: ${skip.reason}`);
      await this.seeder.seed(shared.paths);
    }
  }
}
