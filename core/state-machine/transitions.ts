// The one transition table of the deployment machine: every (state, event) → next state edge, grouped by phase.
import type { StateEvent, StateName } from "./events.js";

/**
 * `now`: the next state is entered at once. `stop`: the machine stops (a reboot is under way, or the operator
 * resumes later); the next run starts from the persisted state's `resumeTo`, which for these rows is the `to`
 * column (a unit test checks that).
 */
export type TransitionMode = "now" | "stop";

export interface Transition {
  from: StateName;
  event: StateEvent;
  to: StateName;
  mode: TransitionMode;
}

type Row = readonly [from: StateName, event: StateEvent, to: StateName, mode?: TransitionMode];

// Reviewers: this table is the whole graph. Any (state, event) pair missing here is a bug the engine reports.
// prettier-ignore
const ROWS: readonly Row[] = [
  // ---- sync: accept the deployment ----------------------------------------------------------------------------------
  ["Sync",                         "Success",      "Download"],
  ["Sync",                         "Failure",      "UpdateStatusReport"],
  ["Sync",                         "Aborted",      "UpdateStatusReport"],

  // ---- download: stream, verify, write the other slot (nothing armed) -----------------------------------------------
  ["Download",                     "Success",      "ArtifactInstall"],
  ["Download",                     "Failure",      "Cleanup"],
  ["Download",                     "Aborted",      "Cleanup"],
  ["Download",                     "LoopDetected", "StateLoop"],

  // ---- install: arm the trial ---------------------------------------------------------------------------------------
  ["ArtifactInstall",              "Success",      "CheckReboot"],
  ["ArtifactInstall",              "Failure",      "CheckRollback"],
  ["ArtifactInstall",              "Aborted",      "Cleanup"],
  ["ArtifactInstall",              "LoopDetected", "StateLoop"],
  ["CheckReboot",                  "Success",      "ArtifactReboot"],
  ["CheckReboot",                  "Deferred",     "AwaitReboot"],
  ["CheckReboot",                  "NothingToDo",  "ArtifactCommit"],
  ["CheckReboot",                  "Failure",      "CheckRollback"],

  // ---- reboot into the trial ----------------------------------------------------------------------------------------
  ["AwaitReboot",                  "Deferred",     "ArtifactReboot",   "stop"],
  ["AwaitReboot",                  "Failure",      "CheckRollback"],
  ["AwaitReboot",                  "LoopDetected", "StateLoop"],
  ["ArtifactReboot",               "Deferred",     "ArtifactVerifyReboot", "stop"],
  ["ArtifactReboot",               "Success",      "ArtifactVerifyReboot"],
  ["ArtifactReboot",               "Failure",      "CheckRollback"],
  ["ArtifactReboot",               "Aborted",      "CheckRollback"],
  ["ArtifactReboot",               "LoopDetected", "StateLoop"],
  ["ArtifactVerifyReboot",         "Success",      "HealthCheck"],
  ["ArtifactVerifyReboot",         "Failure",      "CheckRollback"],
  ["ArtifactVerifyReboot",         "LoopDetected", "StateLoop"],
  ["HealthCheck",                  "Success",      "ArtifactCommit"],
  ["HealthCheck",                  "Failure",      "CheckRollback"],

  // ---- commit -------------------------------------------------------------------------------------------------------
  ["ArtifactCommit",               "Success",      "AfterCommit"],
  ["ArtifactCommit",               "Failure",      "CheckRollback"],
  ["ArtifactCommit",               "Aborted",      "CheckRollback"],
  ["ArtifactCommit",               "LoopDetected", "StateLoop"],
  ["CheckCommit",                  "Success",      "AfterCommit"],
  ["CheckCommit",                  "Failure",      "CheckRollback"],
  ["AfterCommit",                  "Success",      "Cleanup"],
  ["AfterCommit",                  "Failure",      "Cleanup"],
  ["AfterCommit",                  "LoopDetected", "StateLoop"],

  // ---- rollback -----------------------------------------------------------------------------------------------------
  ["CheckRollback",                "Success",      "ArtifactRollback"],
  ["CheckRollback",                "NothingToDo",  "ArtifactFailure"],
  ["CheckRollback",                "Failure",      "ArtifactFailure"],
  ["ArtifactRollback",             "Success",      "CheckRollbackReboot"],
  ["ArtifactRollback",             "Failure",      "ArtifactFailure"],
  ["ArtifactRollback",             "LoopDetected", "StateLoop"],
  ["CheckRollbackReboot",          "Success",      "ArtifactRollbackReboot"],
  ["CheckRollbackReboot",          "NothingToDo",  "ArtifactFailure"],
  ["CheckRollbackReboot",          "Failure",      "ArtifactFailure"],
  ["ArtifactRollbackReboot",       "Deferred",     "ArtifactVerifyRollbackReboot", "stop"],
  ["ArtifactRollbackReboot",       "Failure",      "ArtifactVerifyRollbackReboot"],
  ["ArtifactRollbackReboot",       "LoopDetected", "StateLoop"],
  ["ArtifactVerifyRollbackReboot", "Success",      "ArtifactFailure"],
  ["ArtifactVerifyRollbackReboot", "Failure",      "ArtifactRollbackReboot"],
  ["ArtifactVerifyRollbackReboot", "LoopDetected", "StateLoop"],

  // ---- failure ------------------------------------------------------------------------------------------------------
  ["StateLoop",                    "Success",      "ArtifactFailure"],
  ["StateLoop",                    "Failure",      "ArtifactFailure"],
  ["ArtifactFailure",              "Success",      "Cleanup"],
  ["ArtifactFailure",              "Failure",      "Cleanup"],

  // ---- cleanup and the final report ---------------------------------------------------------------------------------
  ["Cleanup",                      "Success",      "UpdateStatusReport"],
  ["Cleanup",                      "Failure",      "UpdateStatusReport"],
  ["UpdateStatusReport",           "Success",      "Idle"],
  ["UpdateStatusReport",           "Failure",      "Idle"],
];

export const TRANSITIONS: readonly Transition[] = ROWS.map(([from, event, to, mode]) => ({
  from,
  event,
  to,
  mode: mode ?? "now",
}));

/** The edge for (from, event), or undefined when the table has none (a bug: the engine stops loudly). */
export function findTransition(from: StateName, event: StateEvent): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.event === event);
}
