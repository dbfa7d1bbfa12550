/**
 * The master's transition tables: for each state of a worker, an application, an executor and a
 * driver, the states it may move to (docs/protocol.md §1.1, §1.2, §3). Every state write in
 * src/protocol/master goes through `transition`, which asserts the edge, in the simulator and in
 * real clusters alike (the same reducer). Staying in a state is not a transition and is always
 * allowed. A state an entity is created in (a registration's ALIVE/WAITING, a recovery's UNKNOWN,
 * a launch's LAUNCHING, a submission's SUBMITTED) is set where it is created.
 *
 * A write that outside input asks for (an executor state a worker reports) is checked with
 * `canTransition` first and, when not allowed, ignored with a log: a peer's message never trips
 * the assertion, which is kept for the master's own mistakes (STYLE.md rule 8).
 */
import { assert } from "../assert.js";
import type { ApplicationState, DriverState, ExecutorState, WorkerState } from "../states.js";

type Edges<S extends string> = { readonly [From in S]: readonly S[] };

const APP_FINAL = ["FINISHED", "FAILED", "KILLED"] as const;
const EXECUTOR_FINAL = ["KILLED", "FAILED", "LOST", "EXITED"] as const;
const DRIVER_FINAL = ["FINISHED", "KILLED", "FAILED", "ERROR"] as const;

export const WORKER_TRANSITIONS: Edges<WorkerState> = {
  // Removed (a timeout, a disconnect, a replacement at its address).
  ALIVE: ["DEAD"],
  // Recovery: it answered (a state response, or a registration that revives it, SPARK-46346), or did not.
  UNKNOWN: ["ALIVE", "DEAD"],
  // Culled by the reaper (deleted, not moved); a re-registration is a new WorkerInfo.
  DEAD: [],
  // Decommissioning is out of scope: flint's master never sets it.
  DECOMMISSIONED: [],
};

export const APP_TRANSITIONS: Edges<ApplicationState> = {
  // Its first executor, or the end of a recovery; or removed.
  WAITING: ["RUNNING", ...APP_FINAL],
  // A MasterChangeAcknowledged sets WAITING in any state (Spark's handler does); or removed.
  RUNNING: ["WAITING", ...APP_FINAL],
  // Recovery: acknowledged (or re-registered), or finished by completeRecovery / its driver's disconnect.
  UNKNOWN: ["WAITING", ...APP_FINAL],
  FINISHED: [],
  FAILED: [],
  KILLED: [],
};

export const EXECUTOR_TRANSITIONS: Edges<ExecutorState> = {
  // Only its worker's report moves it to RUNNING; any end may come first (a failed launch, a kill, a lost worker, the launch timeout).
  LAUNCHING: ["RUNNING", ...EXECUTOR_FINAL],
  RUNNING: [...EXECUTOR_FINAL],
  KILLED: [],
  FAILED: [],
  LOST: [],
  EXITED: [],
};

export const DRIVER_TRANSITIONS: Edges<DriverState> = {
  // Placed on a worker (or reported by one in a recovery); relaunched by a recovery that found no worker for it; removed.
  SUBMITTED: ["RUNNING", "RELAUNCHING", ...DRIVER_FINAL],
  // Its worker was lost (supervised: relaunched) or it ended.
  RUNNING: ["RELAUNCHING", ...DRIVER_FINAL],
  // SPARK-19900's relaunch keeps the DriverInfo: placed again, or removed while waiting.
  RELAUNCHING: ["RUNNING", ...DRIVER_FINAL],
  // Spark's state for a driver a worker cannot account for; flint's master never sets it.
  UNKNOWN: [],
  FINISHED: [],
  KILLED: [],
  FAILED: [],
  ERROR: [],
};

export interface EntityStates {
  worker: WorkerState;
  app: ApplicationState;
  executor: ExecutorState;
  driver: DriverState;
}
export type EntityKind = keyof EntityStates;

export const TRANSITIONS: { readonly [K in EntityKind]: Edges<EntityStates[K]> } = {
  worker: WORKER_TRANSITIONS,
  app: APP_TRANSITIONS,
  executor: EXECUTOR_TRANSITIONS,
  driver: DRIVER_TRANSITIONS,
};

/** True when `kind` may go from `from` to `to` (staying put included). Pure. */
export function canTransition<K extends EntityKind>(kind: K, from: EntityStates[K], to: EntityStates[K]): boolean {
  return from === to || (TRANSITIONS[kind][from] as readonly string[]).includes(to);
}

/** Moves `entity` to `to`, asserting that the table allows the edge. */
export function transition<K extends EntityKind>(
  kind: K,
  entity: { id: string | number; state: EntityStates[K] },
  to: EntityStates[K],
): void {
  assert(canTransition(kind, entity.state, to), `${kind} ${entity.id}: ${entity.state} -> ${to} is not an allowed transition`);
  entity.state = to;
}
