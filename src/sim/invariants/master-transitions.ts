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
import { isDriverFinal, isExecutorFinished, type DriverState, type ExecutorState } from "../../protocol/states.js";
import type { MasterStepView } from "./master.js";

export const M3 = "M3:master-state-transitions";

/** One master incarnation's view after its previous step. */
interface Snapshot {
  workers: Map<string, string>;
  apps: Map<string, string>;
  /** appId -> its driver's address. */
  appDrivers: Map<string, string>;
  /** `appId/execId` -> `state|workerId|cores|memoryMb|launchedAtMs`. */
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
  const snap: Snapshot = { workers: new Map(), apps: new Map(), appDrivers: new Map(), executors: new Map(), drivers: new Map(), gone };
  for (const id in s.workers) snap.workers.set(id, s.workers[id]!.state);
  for (const id in s.apps) {
    const app = s.apps[id]!;
    snap.apps.set(id, app.state);
    snap.appDrivers.set(id, app.driverAddress);
    for (const k in app.executors) {
      const e = app.executors[k]!;
      snap.executors.set(`${id}/${k}`, `${e.state}|${e.workerId}|${e.cores}|${e.memoryMb}|${e.launchedAtMs}`);
    }
  }
  for (const id in s.drivers) snap.drivers.set(id, `${s.drivers[id]!.state}|${s.drivers[id]!.workerId ?? ""}`);
  return snap;
}

const messageOf = (input: Input | null) => (input?.type === "message" ? input.message : null);

const WORKER_EDGES: Record<string, readonly string[]> = { UNKNOWN: ["ALIVE", "DEAD"], ALIVE: ["DEAD"], DEAD: [] };
const APP_EDGES: Record<string, readonly string[]> = { UNKNOWN: ["WAITING", "RUNNING"], WAITING: ["RUNNING"], RUNNING: [] };
const EXECUTOR_EDGES: Record<string, readonly string[]> = {
  LAUNCHING: ["RUNNING", "KILLED", "FAILED", "LOST", "EXITED"],
  RUNNING: ["KILLED", "FAILED", "LOST", "EXITED"],
};

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
      if (!(now === "ALIVE" && registers) && !(now === "UNKNOWN" && elected))
        report(`worker ${id} appeared as ${now} on ${v.input?.type === "message" ? v.input.message.type : v.input?.type}`);
    } else if (was === "DEAD" && now === "ALIVE") {
      if (!registers) report(`worker ${id} went from DEAD to ALIVE without registering again`);
    } else if (!WORKER_EDGES[was]?.includes(now)) report(`worker ${id} went from ${was} to ${now}`);
    else if (was === "UNKNOWN" && now === "DEAD" && !mayDropUnanswered(v.input, s.workers[id]!.address))
      report(
        `worker ${id} was dropped as UNKNOWN on ${inputName(v.input)}, before the recovery timeout, its heartbeat timeout or its disconnection`,
      );
  }
  for (const [id, was] of prev.workers)
    if (!next.workers.has(id) && was !== "DEAD") report(`worker ${id} left the master's list while ${was}`);

  // Apps, with the removals this step logged.
  const prevDriverOf = prev.appDrivers;
  const removedApps = new Set<string>();
  const removedDrivers = new Set<string>();
  /** `appId/execId` -> the finished state its driver was told in this step. */
  const executorEnded = new Map<string, ExecutorState>();
  /** driverId -> the state of its driverRemoved log in this step. */
  const driverRemovedAs = new Map<string, string>();
  const killed = new Set<string>();
  for (const e of v.effects) {
    if (e.type === "log") {
      if (e.event === "applicationRemoved") removedApps.add(String(e.fields["appId"]));
      else if (e.event === "driverRemoved") {
        removedDrivers.add(String(e.fields["driverId"]));
        driverRemovedAs.set(String(e.fields["driverId"]), String(e.fields["state"]));
      }
    } else if (e.type === "send") {
      const m = e.message;
      if (m.type === "ExecutorUpdated" && isExecutorFinished(m.state)) {
        const appId = s.addressToApp[e.to];
        if (appId !== undefined) executorEnded.set(`${appId}/${m.execId}`, m.state);
      } else if (m.type === "KillExecutor") killed.add(`${m.appId}/${m.execId}`);
    }
  }
  for (const [id, now] of next.apps) {
    const was = prev.apps.get(id);
    if (was === now) continue;
    if (was === undefined) {
      if (gone.has(`app:${id}`)) report(`app ${id} came back (${now}) after it was removed`);
      else if (!((now === "WAITING" || now === "RUNNING") && msg?.type === "RegisterApplication") && !(now === "UNKNOWN" && elected))
        report(`app ${id} appeared as ${now}`);
    } else if (was === "RUNNING" && now === "WAITING") {
      if (msg?.type !== "MasterChangeAcknowledged") report(`app ${id} went from RUNNING back to WAITING`);
    } else if (!APP_EDGES[was]?.includes(now)) report(`app ${id} went from ${was} to ${now}`);
  }
  for (const [id, was] of prev.apps) {
    if (next.apps.has(id)) continue;
    if (!removedApps.has(id)) report(`app ${id} left the master without being removed (no applicationRemoved)`);
    else if (
      was === "UNKNOWN" &&
      !mayDropUnanswered(v.input, prevDriverOf.get(id) ?? "") &&
      !(msg?.type === "UnregisterApplication" && msg.appId === id)
    )
      report(`app ${id} was dropped as UNKNOWN on ${inputName(v.input)}, before the recovery timeout or its driver's disconnection`);
    gone.add(`app:${id}`);
  }

  /**
   * Only its worker's report moves an executor to RUNNING or to an end of its own (docs/protocol.md
   * §1.2); the master ends it by itself only as LOST (its worker is gone), KILLED (its app or its
   * driver's request), or FAILED when it stayed LAUNCHING for the whole launch timeout.
   */
  const judgeExecutorEnd = (key: string, was: ExecutorState, now: ExecutorState, launchedAtMs: number): void => {
    const reported = msg?.type === "ExecutorStateChanged" && `${msg.appId}/${msg.execId}` === key;
    if (reported) {
      if (now !== msg.state) report(`executor ${key} became ${now} on its worker's report of ${msg.state}`);
      return;
    }
    if (now === "LOST" || now === "KILLED") return;
    if (now === "FAILED" && was === "LAUNCHING" && v.input?.type === "timer" && v.input.key === "checkForWorkerTimeOut") {
      if (v.nowMs !== undefined && v.nowMs >= 0 && launchedAtMs > v.nowMs - s.config.executorLaunchTimeoutMs)
        report(
          `executor ${key} was timed out ${v.nowMs - launchedAtMs} ms after its launch, before the launch timeout (${s.config.executorLaunchTimeoutMs} ms)`,
        );
      return;
    }
    report(`executor ${key} went from ${was} to ${now} on ${inputName(v.input)}, without its worker's report`);
  };

  // Executors.
  for (const [key, now] of next.executors) {
    const was = prev.executors.get(key);
    if (was === now) continue;
    const [state, worker, cores, memory] = now.split("|");
    if (was === undefined) {
      if (gone.has(`exec:${key}`)) report(`executor ${key} came back (${state}) after it left its app`);
      // Launched as LAUNCHING, or adopted as its worker reports it.
      else if (state !== "LAUNCHING" && msg?.type !== "WorkerSchedulerStateResponse" && msg?.type !== "WorkerLatestState")
        report(`executor ${key} appeared as ${state} on ${inputName(v.input)}, not as a worker's report`);
      continue;
    }
    const [wasState, wasWorker, wasCores, wasMemory, launchedAtMs] = was.split("|");
    if (worker !== wasWorker || cores !== wasCores || memory !== wasMemory)
      report(`executor ${key} moved from ${wasWorker} (${wasCores} cores, ${wasMemory} MiB) to ${worker} (${cores} cores, ${memory} MiB)`);
    if (state === wasState) continue;
    if (!EXECUTOR_EDGES[wasState!]?.includes(state!)) report(`executor ${key} went from ${wasState} to ${state}`);
    else judgeExecutorEnd(key, wasState as ExecutorState, state as ExecutorState, Number(launchedAtMs));
  }
  for (const [key, was] of prev.executors) {
    if (next.executors.has(key)) continue;
    gone.add(`exec:${key}`);
    const appId = key.slice(0, key.lastIndexOf("/"));
    if (!next.apps.has(appId)) continue; // left with its app
    const told = executorEnded.get(key);
    if (told === undefined && !killed.has(key))
      report(`executor ${key} left its app, but its driver was not told it ended and its worker was not told to kill it`);
    const [wasState, , , , launchedAtMs] = was.split("|");
    judgeExecutorEnd(key, wasState as ExecutorState, told ?? "KILLED", Number(launchedAtMs));
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
    if (wasWorker !== "" && worker !== wasWorker)
      report(`driver ${id} moved from worker ${wasWorker} to ${worker === "" ? "none" : worker} (${wasState} -> ${state})`);
    else if (state !== wasState && !(wasState === "SUBMITTED" && state === "RUNNING"))
      report(`driver ${id} went from ${wasState} to ${state}`);
  }
  for (const id of prev.drivers.keys()) {
    if (next.drivers.has(id)) continue;
    if (!removedDrivers.has(id)) report(`driver ${id} left the master without being removed (no driverRemoved)`);
    gone.add(`driver:${id}`);
  }
  for (const [id, state] of driverRemovedAs) {
    if (state !== "RELAUNCHING" && !isDriverFinal(state as DriverState)) report(`driver ${id} was removed as ${state}, not a final state`);
  }
  // A driver's final state, as its worker reports it, ends it in that state; any other report changes nothing.
  const refused = v.effects.some((e) => e.type === "log" && e.event === "ignored" && isRefusal(e.fields["why"]));
  if (msg?.type === "DriverStateChanged" && prev.drivers.has(msg.driverId) && !refused) {
    const after = next.drivers.get(msg.driverId);
    if (isDriverFinal(msg.state)) {
      if (after !== undefined) report(`driver ${msg.driverId} is still ${after.split("|")[0]} after its worker reported it ${msg.state}`);
      else if (driverRemovedAs.get(msg.driverId) !== msg.state)
        report(`driver ${msg.driverId} was removed as ${driverRemovedAs.get(msg.driverId)} on its worker's report of ${msg.state}`);
    } else if (after !== prev.drivers.get(msg.driverId))
      report(`driver ${msg.driverId} changed on a report of the non-final state ${msg.state}`);
  }
}

const inputName = (input: Input | null): string =>
  input === null ? "no input" : input.type === "message" ? input.message.type : input.type === "timer" ? `timer ${input.key}` : input.type;

/**
 * Whether this input may drop a worker or app that has not answered a recovery (UNKNOWN): the
 * recovery timeout, the heartbeat timeout, the node's own disconnection, or (a worker) a new
 * registration at its address. Answers end a recovery only once nothing is UNKNOWN any more.
 */
function mayDropUnanswered(input: Input | null, address: string): boolean {
  if (input === null) return false;
  if (input.type === "timer") return input.key === "completeRecovery" || input.key === "checkForWorkerTimeOut";
  if (input.type === "peerDisconnected") return input.peer === address;
  return input.type === "message" && input.message.type === "RegisterWorker" && input.message.workerAddress === address;
}

/** The reasons of the authority tables' refusals (src/protocol/authority.ts): the message was not acted on. */
const isRefusal = (why: unknown): boolean => why === "sender-address-mismatch" || (typeof why === "string" && why.startsWith("not-from-"));
