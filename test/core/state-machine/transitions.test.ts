// The transition table and the resume declarations agree, and every persisted state says where it resumes.
import { describe, expect, it } from "vitest";
import { STATE_NAMES } from "../../../core/state-machine/events.js";
import { TRANSITIONS, findTransition } from "../../../core/state-machine/transitions.js";
import { createStates } from "../../../core/state-machine/states/index.js";
import { PersistedState } from "../../../core/state-machine/state.js";
import { RESUME_FALLBACK, resumeTarget } from "../../../core/state-machine/resume.js";

const states = createStates();

describe("state machine › table", () => {
  it("has a class for every state name and a name for every class", () => {
    expect([...states.keys()].sort()).toEqual([...STATE_NAMES].sort());
  });

  it("every persisted state declares a resume target that is a state", () => {
    const persisted = [...states.values()].filter((s) => s instanceof PersistedState) as PersistedState[];
    expect(persisted.map((s) => s.name).sort()).toEqual(
      [
        "AfterCommit",
        "ArtifactCommit",
        "ArtifactFailure",
        "ArtifactInstall",
        "ArtifactReboot",
        "ArtifactRollback",
        "ArtifactRollbackReboot",
        "ArtifactVerifyReboot",
        "ArtifactVerifyRollbackReboot",
        "AwaitReboot",
        "Cleanup",
        "Download",
        "UpdateStatusReport",
      ].sort(),
    );
    for (const s of persisted) expect(STATE_NAMES).toContain(s.resumeTo);
  });

  it("a stop edge leads where its state resumes (a reboot and a resume land in the same place)", () => {
    for (const t of TRANSITIONS.filter((t) => t.mode === "stop")) {
      expect(resumeTarget(states, t.from), `${t.from}`).toBe(t.to);
    }
  });

  it("unknown or never-saved state names resume on the rollback path", () => {
    expect(resumeTarget(states, "NoSuchState")).toBe(RESUME_FALLBACK);
    expect(resumeTarget(states, "HealthCheck")).toBe("CheckRollback");
    expect(RESUME_FALLBACK).toBe("CheckRollback");
  });

  it("has no duplicate (state, event) rows and only known states", () => {
    const keys = TRANSITIONS.map((t) => `${t.from}/${t.event}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of TRANSITIONS) {
      expect(STATE_NAMES).toContain(t.from);
      expect(STATE_NAMES).toContain(t.to);
    }
  });

  it("every state but Idle can fail somewhere, and every state is reachable from Sync or a resume target", () => {
    for (const name of STATE_NAMES) {
      if (name === "Idle") continue;
      expect(findTransition(name, "Failure") ?? findTransition(name, "Deferred"), name).toBeDefined();
    }
    const reach = new Set<string>(["Sync", ...[...states.values()].flatMap((s) => (s instanceof PersistedState ? [s.resumeTo] : []))]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of TRANSITIONS) if (reach.has(t.from) && !reach.has(t.to)) reach.add(t.to) && (grew = true);
    }
    expect([...reach].sort()).toEqual([...STATE_NAMES].sort());
  });

  it("persisted non-failure states stop a loop through StateLoop", () => {
    for (const s of states.values()) {
      if (!(s instanceof PersistedState)) continue;
      if (["ArtifactFailure", "Cleanup", "UpdateStatusReport"].includes(s.name)) continue;
      expect(findTransition(s.name, "LoopDetected")?.to, s.name).toBe("StateLoop");
    }
  });
});
