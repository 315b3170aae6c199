// Platform halts: a reboot or power cut passes through the machine's catches, even wrapped; nothing else does.
import { describe, expect, it } from "vitest";
import { OtaError } from "../../../core/errors/index.js";
import { PLATFORM_HALT, isPlatformHalt, rethrowIfHalt } from "../../../core/state-machine/halt.js";
import { SimHalt, SimPowerCut } from "../../sim/index.js";
import { FakeHalt } from "../../helpers/scenario-fakes.js";

describe("state machine › platform halts", () => {
  it("the simulator's cut and reboot and the fake reboot carry the halt marker", () => {
    for (const err of [new SimPowerCut("state:Download:saved"), new SimHalt("reboot"), new FakeHalt("0 tryboot")]) {
      expect(isPlatformHalt(err), err.message).toBe(true);
      expect(() => rethrowIfHalt(err)).toThrow(err);
    }
  });

  it("halt-wrapped-in-an-error: still a halt through the cause chain", () => {
    const wrapped = new OtaError("OTA_ERR_STORE_WRITE", "store: write /data/state", { cause: new SimPowerCut("write #3") });
    expect(isPlatformHalt(wrapped)).toBe(true);
    expect(isPlatformHalt(new Error("outer", { cause: { [PLATFORM_HALT]: true } }))).toBe(true);
  });

  it("an error that only looks like a halt (same name, no marker) is an ordinary failure", () => {
    const lookalike = Object.assign(new Error("not a halt"), { name: "SimPowerCut" });
    expect(isPlatformHalt(lookalike)).toBe(false);
    expect(isPlatformHalt(new OtaError("OTA_ERR_INTERNAL", "x", { cause: lookalike }))).toBe(false);
    expect(() => rethrowIfHalt(lookalike)).not.toThrow();
    for (const v of [undefined, null, "SimHalt", 42, { [PLATFORM_HALT]: "yes" }]) expect(isPlatformHalt(v)).toBe(false);
  });

  it("a cause cycle ends", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isPlatformHalt(a)).toBe(false);
  });
});
