// Where a restarted agent continues: built from each persisted state's own `resumeTo`, defaulting to rollback.
import type { StateName } from "./events.js";
import { PersistedState, type DeploymentState } from "./state.js";

/** Unknown or unsaved state names take the rollback path: assume the worst (Mender's LoadStateFromDb default). */
export const RESUME_FALLBACK: StateName = "CheckRollback";

export function resumeTable(states: ReadonlyMap<StateName, DeploymentState>): ReadonlyMap<StateName, StateName> {
  const table = new Map<StateName, StateName>();
  for (const state of states.values()) if (state instanceof PersistedState) table.set(state.name, state.resumeTo);
  return table;
}

export function resumeTarget(states: ReadonlyMap<StateName, DeploymentState>, stored: string): StateName {
  return resumeTable(states).get(stored as StateName) ?? RESUME_FALLBACK;
}
