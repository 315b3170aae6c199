// Slot sysroots that live for one test: built on demand, all removed after each test.
import { afterEach } from "vitest";
import { buildSlotSysroot, type SlotSysroot, type SlotSysrootSpec } from "./slot-sysroot.js";

/**
 * Call at a test file's top level: registers an afterEach that removes every sysroot the returned function built
 * during the test, so a failing test leaves no temp tree behind.
 */
export function slotSysrootPerTest(): (spec?: SlotSysrootSpec) => Promise<SlotSysroot> {
  const made: SlotSysroot[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((s) => s.cleanup()));
  });
  return async (spec) => {
    const sr = await buildSlotSysroot(spec);
    made.push(sr);
    return sr;
  };
}
