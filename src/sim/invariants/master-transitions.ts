/**
 * M3: the master's workers, apps, executors and drivers move only along allowed edges
 * (docs/protocol.md §1.2, §3.1). An oracle independent of the master's code: it remembers, per
 * master incarnation, the state of every entity after the previous step and compares it with the
 * state after this one, so one step may take several edges (a registration that schedules goes
 * WAITING -> RUNNING) but never a forbidden one. The edges:
 *  - worker: new as ALIVE (RegisterWorker naming it) or UNKNOWN (leaderElected); UNKNOWN -> ALIVE
 *    or DEAD; ALIVE -> DEAD; DEAD -> ALIVE only by registering again (RegisterWorker naming it);
 *    only a DEAD worker leaves the list (culled or replaced), and never ALIVE -> UNKNOWN.
 *  - app: new as WAITING or RUNNING (RegisterApplication) or UNKNOWN (leaderElected); UNKNOWN ->
 *    WAITING or RUNNING; WAITING -> RUNNING; RUNNING -> WAITING only on MasterChangeAcknowledged
 *    (Spark's handler sets WAITING whatever the state); a removed app (applicationRemoved in that
 *    step) never comes back to the same master.
 *  - executor (in its app): new as LAUNCHING, or as the state its worker reports (adoption);
 *    LAUNCHING -> RUNNING -> a finished state; never back from a finished state, never to
 *    another worker or another size; it leaves its app only with its app, or with its driver
 *    told it ended (ExecutorUpdated), or with a KillExecutor to its worker; and its id never
 *    comes back to the app in the same master.
 *  - driver: new as SUBMITTED (or RUNNING when placed in the same step); SUBMITTED -> RUNNING;
 *    once placed, never on another worker; a removed driver (driverRemoved in that step) never
 *    comes back.
 * Runs on masters of at most BOOKKEEPING_SIZE_LIMIT workers + apps + drivers (the snapshot is a
 * whole-state pass); a bigger master's snapshot is dropped and it is not judged.
 */
import type { Input } from "../../protocol/index.js";
import type { MasterState } from "../../protocol/master/state.js";
import { isExecutorFinished } from "../../protocol/states.js";
import type { MasterStepView } from "./master.js";

export const M3 = "M3:master-state-transitions";

/** One master incarnation's view after its previous step. */
interface Snapshot {
  workers: Map<string, string>;
  apps: Map<string, string>;
  /** `appId/execId` -> `state|workerId|cores|memoryMb`. */
  executors: Map<string, string>;
  /** driverId -> `state|workerId`. */
  drivers: Map<string, string>;
  /** Ids removed from this master (apps, `appId/execId` executors, drivers): they never come back. */
  gone: Set<string>;
}

/** Per master incarnation (`name#incarnation`). */
export type TransitionLedger = Map<string, Snapshot>;
export const newTransitionLedger = (): TransitionLedger => new Map();

function take(s: MasterState, gone: Set<string>): Snapshot {
  const snap: Snapshot = { workers: new Map(), apps: new Map(), executors: new Map(), drivers: new Map(), gone };
  for (const id in s.workers) snap.workers.set(id, s.workers[id]!.state);
  for (const id in s.apps) {
    const app = s.apps[id]!;
    snap.apps.set(id, app.state);
    for (const k in app.executors) {
      const e = app.executors[k]!;
      snap.executors.set(`${id}/${k}`, `${e.state}|${e.workerId}|${e.cores}|${e.memoryMb}`);
    }
  }
  for (const id in s.drivers) snap.drivers.set(id, `${s.drivers[id]!.state}|${s.drivers[id]!.workerId ?? ""}`);
  return snap;
}

const messageOf = (input: Input | null) => (input?.type === "message" ? input.message : null);

const WORKER_EDGES: Record<string, readonly string[]> = { UNKNOWN: ["ALIVE", "DEAD"], ALIVE: ["DEAD"], DEAD: [] };
const APP_EDGES: Record<string, readonly string[]> = { UNKNOWN: ["WAITING", "RUNNING"], WAITING: ["RUNNING"], RUNNING: [] };
const EXECUTOR_EDGES: Record<string, readonly string[]> = { LAUNCHING: ["RUNNING", "KILLED", "FAILED", "LOST", "EXITED"], RUNNING: ["KILLED", "FAILED", "LOST", "EXITED"] };

/** M3 for one master step; `small` says whether the master is small enough to be judged. */
export function checkMasterTransitions(v: MasterStepView, ledger: TransitionLedger, small: boolean): void {
  const prev = ledger.get(v.key);
  if (!small) {
    ledger.delete(v.key);
    return;
  }
  const s = v.s;
  const gone = prev?.gone ?? new Set<string>();
  const next = take(s, gone);
  ledger.set(v.key, next);
  if (prev === undefined) return;
  const msg = messageOf(v.input);
  const elected = v.input?.type === "leaderElected";
  const report = (detail: string) => v.report(M3, `${v.name}: ${detail}`);

  // Workers.
  for (const [id, now] of next.workers) {
    const was = prev.workers.get(id);
    if (was === now) continue;
    const registers = msg?.type === "RegisterWorker" && msg.workerId === id;
    if (was === undefined) {
      if (!(now === "ALIVE" && registers) && !(now === "UNKNOWN" && elected)) report(`worker ${id} appeared as ${now} on ${v.input?.type === "message" ? v.input.message.type : v.input?.type}`);
    } else if (was === "DEAD" && now === "ALIVE") {
      if (!registers) report(`worker ${id} went from DEAD to ALIVE without registering again`);
    } else if (!WORKER_EDGES[was]?.includes(now)) report(`worker ${id} went from ${was} to ${now}`);
  }
  for (const [id, was] of prev.workers) if (!next.workers.has(id) && was !== "DEAD") report(`worker ${id} left the master's list while ${was}`);

  // Apps, with the removals this step logged.
  const removedApps = new Set<string>();
  const removedDrivers = new Set<string>();
  const executorEnded = new Set<string>();
  const killed = new Set<string>();
  for (const e of v.effects) {
    if (e.type === "log") {
      if (e.event === "applicationRemoved") removedApps.add(String(e.fields["appId"]));
      else if (e.event === "driverRemoved") removedDrivers.add(String(e.fields["driverId"]));
    } else if (e.type === "send") {
      const m = e.message;
      if (m.type === "ExecutorUpdated" && isExecutorFinished(m.state)) {
        const appId = s.addressToApp[e.to];
        if (appId !== undefined) executorEnded.add(`${appId}/${m.execId}`);
      } else if (m.type === "KillExecutor") killed.add(`${m.appId}/${m.execId}`);
    }
  }
  for (const [id, now] of next.apps) {
    const was = prev.apps.get(id);
    if (was === now) continue;
    if (was === undefined) {
      if (gone.has(`app:${id}`)) report(`app ${id} came back (${now}) after it was removed`);
      else if (!((now === "WAITING" || now === "RUNNING") && msg?.type === "RegisterApplication") && !(now === "UNKNOWN" && elected)) report(`app ${id} appeared as ${now}`);
    } else if (was === "RUNNING" && now === "WAITING") {
      if (msg?.type !== "MasterChangeAcknowledged") report(`app ${id} went from RUNNING back to WAITING`);
    } else if (!APP_EDGES[was]?.includes(now)) report(`app ${id} went from ${was} to ${now}`);
  }
  for (const id of prev.apps.keys()) {
    if (next.apps.has(id)) continue;
    if (!removedApps.has(id)) report(`app ${id} left the master without being removed (no applicationRemoved)`);
    gone.add(`app:${id}`);
  }

  // Executors.
  for (const [key, now] of next.executors) {
    const was = prev.executors.get(key);
    if (was === now) continue;
    const [state, worker, cores, memory] = now.split("|");
    if (was === undefined) {
      if (gone.has(`exec:${key}`)) report(`executor ${key} came back (${state}) after it left its app`);
      continue; // launched (LAUNCHING) or adopted as reported: I5 and M1 judge those
    }
    const [wasState, wasWorker, wasCores, wasMemory] = was.split("|");
    if (worker !== wasWorker || cores !== wasCores || memory !== wasMemory) report(`executor ${key} moved from ${wasWorker} (${wasCores} cores, ${wasMemory} MiB) to ${worker} (${cores} cores, ${memory} MiB)`);
    if (state !== wasState && !EXECUTOR_EDGES[wasState!]?.includes(state!)) report(`executor ${key} went from ${wasState} to ${state}`);
  }
  for (const key of prev.executors.keys()) {
    if (next.executors.has(key)) continue;
    gone.add(`exec:${key}`);
    const appId = key.slice(0, key.lastIndexOf("/"));
    if (next.apps.has(appId) && !executorEnded.has(key) && !killed.has(key)) report(`executor ${key} left its app, but its driver was not told it ended and its worker was not told to kill it`);
  }

  // Drivers.
  for (const [id, now] of next.drivers) {
    const was = prev.drivers.get(id);
    if (was === now) continue;
    const [state, worker] = now.split("|");
    if (was === undefined) {
      if (gone.has(`driver:${id}`)) report(`driver ${id} came back (${state}) after it was removed`);
      else if (state !== "SUBMITTED" && state !== "RUNNING") report(`driver ${id} appeared as ${state}`);
      continue;
    }
    const [wasState, wasWorker] = was.split("|");
    if (wasWorker !== "" && worker !== wasWorker) report(`driver ${id} moved from worker ${wasWorker} to ${worker === "" ? "none" : worker} (${wasState} -> ${state})`);
    else if (state !== wasState && !(wasState === "SUBMITTED" && state === "RUNNING")) report(`driver ${id} went from ${wasState} to ${state}`);
  }
  for (const id of prev.drivers.keys()) {
    if (next.drivers.has(id)) continue;
    if (!removedDrivers.has(id)) report(`driver ${id} left the master without being removed (no driverRemoved)`);
    gone.add(`driver:${id}`);
  }
}

