/**
 * The master's helper procedures of docs/protocol.md §1.2: registering and removing workers, apps and
 * drivers, relaunching drivers and killing executors, with the persistence writes of §3.2.
 */
import { hasBug } from "../config.js";
import { ignored, log, send } from "../io.js";
import type { DriverId, WorkerId } from "../ids.js";
import type { DriverDescription } from "../messages.js";
import type { ApplicationState, DriverState } from "../states.js";
import { appRemoveExecutor, workerRemoveDriver, workerRemoveExecutor } from "./accounting.js";
import { newDriverId } from "./ids.js";
import { copy, persistDriver, unpersist } from "./persistence.js";
import { schedule } from "./schedule.js";
import { transition } from "./transitions.js";
import { isExecutorFinished } from "../states.js";
import type { ApplicationInfo, DriverInfo, ExecutorDesc, MasterStep, WorkerInfo } from "./state.js";

export { copy, persist, persistApp, persistDriver, persistWorker, unpersist } from "./persistence.js";

// ---- workers ---------------------------------------------------------------------------------

/** Spark's registerWorker: false when a live (non-UNKNOWN) worker already holds the address. */
export function registerWorker(m: MasterStep, w: WorkerInfo): boolean {
  if (m.s.deadWorkerIds.length > 0) {
    // Only the workers removeWorker marked DEAD can be DEAD: no scan of every worker.
    const stillDead: WorkerId[] = [];
    for (const id of m.s.deadWorkerIds) {
      const old = m.s.workers[id];
      if (old === undefined || old.state !== "DEAD") continue;
      if (old.host === w.host && old.port === w.port) delete m.s.workers[id];
      else stillDead.push(id);
    }
    m.s.deadWorkerIds = stillDead;
  }
  const holderId = m.s.addressToWorker[w.address];
  if (holderId !== undefined) {
    const holder = m.s.workers[holderId]!;
    if (holder.state !== "UNKNOWN") return false;
    removeWorker(m, holder, "Worker replaced by a new worker with same address");
  }
  if (m.s.workers[w.id]) delete m.s.workers[w.id]; // a DEAD entry with this id on another address
  m.s.workers[w.id] = w;
  m.s.addressToWorker[w.address] = w.id;
  return true;
}

export function removeWorker(m: MasterStep, w: WorkerInfo, message: string): void {
  m.fx.push(log("info", "workerRemoved", { workerId: w.id, message }));
  if (w.state !== "DEAD") m.s.deadWorkerIds.push(w.id);
  transition("worker", w, "DEAD");
  if (m.s.addressToWorker[w.address] === w.id) delete m.s.addressToWorker[w.address];
  for (const slot of Object.values(w.executors)) {
    const app = m.s.apps[slot.appId];
    const e = app?.executors[String(slot.execId)];
    if (!app || !e) continue;
    m.fx.push(
      send(app.driverAddress, {
        type: "ExecutorUpdated",
        execId: e.id,
        state: "LOST",
        message: `worker lost: ${message}`,
        workerHost: w.host,
      }),
    );
    transition("executor", e, "LOST");
    appRemoveExecutor(app, e);
  }
  for (const id of Object.keys(w.drivers)) {
    const d = m.s.drivers[id];
    if (!d) continue;
    if (d.desc.supervise) relaunchDriver(m, d);
    else removeDriver(m, d.id, "ERROR");
  }
  for (const app of Object.values(m.s.apps)) {
    m.fx.push(send(app.driverAddress, { type: "WorkerRemoved", workerId: w.id, host: w.host, message }));
  }
  unpersist(m, `worker_${w.id}`);
  if (!hasBug(m.s.config, "SPARK-36509")) schedule(m);
}

// ---- applications ----------------------------------------------------------------------------

/** Spark's registerApplication: a second app from the same driver address is not tracked. */
export function registerApplication(m: MasterStep, app: ApplicationInfo): boolean {
  if (m.s.addressToApp[app.driverAddress] !== undefined) return false;
  m.s.apps[app.id] = app;
  m.s.addressToApp[app.driverAddress] = app.id;
  m.s.waitingApps.push(app.id);
  return true;
}

export function finishApplication(m: MasterStep, app: ApplicationInfo): void {
  removeApplication(m, app, "FINISHED");
}

export function removeApplication(m: MasterStep, app: ApplicationInfo, finalState: ApplicationState): void {
  if (!m.s.apps[app.id]) return;
  m.fx.push(log("info", "applicationRemoved", { appId: app.id, state: finalState }));
  delete m.s.apps[app.id];
  if (m.s.addressToApp[app.driverAddress] === app.id) delete m.s.addressToApp[app.driverAddress];
  trimRetained(m.s.completedApps, m.s.config.retainedApplications);
  m.s.completedApps.push({
    id: app.id,
    name: app.desc.name,
    state: finalState,
    startTimeMs: app.startTimeMs,
    endTimeMs: m.now,
    workerIds: [...app.workerIdsUsed],
  });
  m.s.waitingApps = m.s.waitingApps.filter((id) => id !== app.id);
  for (const e of Object.values(app.executors)) killExecutor(m, e);
  transition("app", app, finalState);
  app.endTimeMs = m.now;
  if (finalState !== "FINISHED") {
    m.fx.push(send(app.driverAddress, { type: "ApplicationRemoved", message: finalState }));
  }
  unpersist(m, `app_${app.id}`);
  schedule(m);
  for (const w of Object.values(m.s.workers)) {
    m.fx.push(send(w.address, { type: "ApplicationFinished", appId: app.id }));
  }
}

/**
 * Frees the worker's resources before it confirms, as Spark does, then orders the kill. `endState`:
 * KILLED, or FAILED for a launch given up. An executor already ended (one an UNKNOWN app kept under
 * GHOST-EXECUTOR) keeps its end.
 */
export function killExecutor(m: MasterStep, e: ExecutorDesc, endState: "KILLED" | "FAILED" = "KILLED"): void {
  const w = m.s.workers[e.workerId];
  if (w) {
    workerRemoveExecutor(w, e);
    m.fx.push(send(w.address, { type: "KillExecutor", masterUrl: m.s.address, appId: e.appId, execId: e.id }));
  }
  if (!isExecutorFinished(e.state)) transition("executor", e, endState);
}

// ---- drivers ---------------------------------------------------------------------------------

export function createDriver(m: MasterStep, desc: DriverDescription): DriverInfo {
  return { id: newDriverId(m.s, m.now), desc: copy(desc), startTimeMs: m.now, state: "SUBMITTED" };
}

export function relaunchDriver(m: MasterStep, d: DriverInfo): void {
  if (hasBug(m.s.config, "SPARK-19900")) {
    // Spark <= 2.2: the same DriverInfo, same id, queued again; a late report for it removes it.
    const w = d.workerId ? m.s.workers[d.workerId] : undefined;
    if (w) workerRemoveDriver(w, d, true);
    transition("driver", d, "RELAUNCHING");
    d.workerId = undefined;
    m.s.waitingDrivers.push(d.id);
    schedule(m);
    return;
  }
  removeDriver(m, d.id, "RELAUNCHING");
  const relaunched = createDriver(m, d.desc);
  persistDriver(m, relaunched);
  m.s.drivers[relaunched.id] = relaunched;
  m.s.waitingDrivers.push(relaunched.id);
  m.fx.push(log("info", "driverRelaunched", { oldDriverId: d.id, driverId: relaunched.id }));
  schedule(m);
}

export function removeDriver(m: MasterStep, id: DriverId, finalState: DriverState, exception?: string): void {
  const d = m.s.drivers[id];
  if (!d) {
    m.fx.push(ignored("unknown-driver", { driverId: id, state: finalState }));
    return;
  }
  delete m.s.drivers[id];
  trimRetained(m.s.completedDrivers, m.s.config.retainedDrivers);
  m.s.completedDrivers.push({ id, state: finalState, exception, workerId: d.workerId, startTimeMs: d.startTimeMs, endTimeMs: m.now });
  unpersist(m, `driver_${id}`);
  transition("driver", d, finalState);
  d.exception = exception;
  const w = d.workerId ? m.s.workers[d.workerId] : undefined;
  if (w) workerRemoveDriver(w, d, true);
  m.fx.push(log("info", "driverRemoved", { driverId: id, state: finalState }));
  schedule(m);
}

/** Spark's retention: once the list is full, drop the oldest max(n/10, 1) entries. */
export function trimRetained<T>(list: T[], retained: number): void {
  if (list.length >= retained) list.splice(0, Math.max(Math.floor(retained / 10), 1));
}
