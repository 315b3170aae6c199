// Drives the states: enter one, look its event up in the transition table, go on until Idle or a stop edge.
import { OtaError } from "../errors/index.js";
import type { DeploymentContext } from "./deployment-context.js";
import { rethrowIfHalt } from "./halt.js";
import type { StateName } from "./events.js";
import type { DeploymentState } from "./state.js";
import { findTransition } from "./transitions.js";

export interface EngineStop {
  /** The last state entered. */
  stoppedAt: StateName;
  /** For a stop edge (reboot under way, resume later): the state the next run starts in. */
  next?: StateName;
}

/** More state entries than this in one run is a loop inside one boot (the store counter covers loops across boots). */
const MAX_STEPS = 200;

export class StateEngine {
  constructor(private readonly states: ReadonlyMap<StateName, DeploymentState>) {}

  async run(ctx: DeploymentContext, start: StateName): Promise<EngineStop> {
    let name = start;
    for (let step = 0; step < MAX_STEPS; step++) {
      // The agent is stopping (daemon SIGTERM, reason marked as a platform halt): end between two states, never
      // go on into a reboot or a module call; the persisted record says where the next start resumes.
      if (ctx.signal.aborted) rethrowIfHalt(ctx.signal.reason);
      const state = this.states.get(name);
      if (!state) throw new OtaError("OTA_ERR_INTERNAL", `state machine has no state ${name}`);
      ctx.options.onState?.(name);
      ctx.log.debug({ state: name }, `enter ${name}`);
      const event = await state.onEnter(ctx);
      if (name === "Idle") return { stoppedAt: name };
      const edge = findTransition(name, event);
      if (!edge) {
        // A missing edge is a bug; stop loudly rather than guess (the record still says where to resume).
        ctx.log.fatal({ state: name, event }, `no transition from ${name} on ${event}`);
        throw new OtaError("OTA_ERR_INTERNAL", `state machine: no transition from ${name} on ${event}`, { details: { state: name, event } });
      }
      ctx.log.debug({ state: name, event, next: edge.to }, `${name} --${event}--> ${edge.to}`);
      if (edge.mode === "stop") return { stoppedAt: name, next: edge.to };
      name = edge.to;
    }
    throw new OtaError("OTA_ERR_INTERNAL", `state machine: more than ${MAX_STEPS} states in one run`);
  }
}
