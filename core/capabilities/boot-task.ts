// BootTask: work outside a deployment — from a systemd generator, at early boot, or after a slot is committed.
import type { SlotName } from "./slot-resolver.js";

export type BootPhase = "generator" | "early" | "post-commit";

export interface BootTaskContext {
  phase: BootPhase;
  /** The booted slot, when known. */
  slot?: SlotName;
  /** For the generator phase: systemd's normal, early and late output dirs (host paths). */
  generatorDirs?: { normal: string; early: string; late: string };
  /** For post-commit: the slot that was committed and the one it replaced. */
  committed?: {
    slot: SlotName;
    previous: SlotName;
    /** The deployment that was committed, when known: lets a task recognise a re-run after a power cut. */
    deploymentId?: string;
  };
  signal: AbortSignal;
}

/**
 * A task run for one phase. Must be idempotent: generators and early units run every boot. `run` throws OtaErrors
 * of its plugin's area; the caller logs them and carries on with the other tasks (a generator never fails boot).
 */
export interface BootTask {
  readonly name: string;
  readonly phases: readonly BootPhase[];
  run(ctx: BootTaskContext): Promise<void>;
}
