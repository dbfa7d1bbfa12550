/** Master.schedule() (docs/protocol.md §4.1): drivers first, then executors, only when ALIVE. */
import { shuffled } from "../random.js";
import { send } from "../io.js";
import { assert } from "../assert.js";
import { copyPlain } from "../copy.js";
import { appAddExecutor, coresFree, coresLeft, memoryFree, workerAddDriver, workerAddExecutor } from "./accounting.js";
import { persistApp } from "./persistence.js";
import type { ApplicationInfo, DriverInfo, ExecutorDesc, MasterStep, WorkerInfo } from "./state.js";
import { transition } from "./transitions.js";

/** The fields of a usable worker that the placement algorithm reads. */
export interface PlacementWorker {
  coresFree: number;
  memoryFree: number;
}

export interface PlacementRequest {
  coresLeft: number;
  coresPerExecutor?: number;
  memoryPerExecutorMb: number;
  /** Live executors of the app, counted against the executor limit. */
  executorCount: number;
  executorLimit: number;
  spreadOut: boolean;
}

/**
 * scheduleExecutorsOnWorkers: how many cores to assign on each usable worker. Pure, and local to one
 * app. With spreadOut, one step (a core, or coresPerExecutor cores) per worker per round; otherwise
 * each worker is filled before the next.
 */
export function scheduleExecutorsOnWorkers(req: PlacementRequest, usable: readonly PlacementWorker[]): number[] {
  const minCores = req.coresPerExecutor ?? 1;
  const oneExecutorPerWorker = req.coresPerExecutor === undefined;
  const n = usable.length;
  const assignedCores = new Array<number>(n).fill(0);
  const assignedExecs = new Array<number>(n).fill(0);
  let coresToAssign = Math.min(
    req.coresLeft,
    usable.reduce((sum, w) => sum + w.coresFree, 0),
  );
  let totalAssignedExecs = 0;

  const canLaunch = (i: number): boolean => {
    const w = usable[i]!;
    const keepScheduling = coresToAssign >= minCores;
    const enoughCores = w.coresFree - assignedCores[i]! >= minCores;
    const launchingNewExecutor = !oneExecutorPerWorker || assignedExecs[i] === 0;
    if (!launchingNewExecutor) return keepScheduling && enoughCores;
    const enoughMemory = w.memoryFree - assignedExecs[i]! * req.memoryPerExecutorMb >= req.memoryPerExecutorMb;
    const underLimit = totalAssignedExecs + req.executorCount < req.executorLimit;
    return keepScheduling && enoughCores && enoughMemory && underLimit;
  };

  let free = [...Array(n).keys()].filter(canLaunch);
  while (free.length > 0) {
    for (const i of free) {
      let keepScheduling = true;
      while (keepScheduling && canLaunch(i)) {
        coresToAssign -= minCores;
        assignedCores[i]! += minCores;
        if (oneExecutorPerWorker) {
          if (assignedExecs[i] === 0) totalAssignedExecs += 1;
          assignedExecs[i] = 1;
        } else {
          assignedExecs[i]! += 1;
          totalAssignedExecs += 1;
        }
        if (req.spreadOut) keepScheduling = false;
      }
    }
    free = free.filter(canLaunch);
  }
  return assignedCores;
}

export function schedule(m: MasterStep): void {
  if (m.s.recoveryState !== "ALIVE") return;
  scheduleDrivers(m);
  startExecutorsOnWorkers(m);
}

function aliveWorkers(m: MasterStep): WorkerInfo[] {
  return Object.values(m.s.workers).filter((w) => w.state === "ALIVE");
}

function scheduleDrivers(m: MasterStep): void {
  if (m.s.waitingDrivers.length === 0) return;
  const alive = shuffled(m.s, aliveWorkers(m));
  const n = alive.length;
  let pos = 0;
  for (const id of m.s.waitingDrivers.slice()) {
    const d = m.s.drivers[id];
    if (!d) continue;
    let visited = 0;
    let launched = false;
    while (visited < n && !launched) {
      const w = alive[pos]!;
      visited += 1;
      if (memoryFree(w) >= d.desc.memoryMb && coresFree(w) >= d.desc.cores) {
        launchDriver(m, w, d);
        m.s.waitingDrivers = m.s.waitingDrivers.filter((x) => x !== id);
        launched = true;
      }
      pos = (pos + 1) % n;
    }
  }
}

function launchDriver(m: MasterStep, w: WorkerInfo, d: DriverInfo): void {
  workerAddDriver(w, d, true);
  d.workerId = w.id;
  transition("driver", d, "RUNNING");
  m.fx.push(send(w.address, { type: "LaunchDriver", driverId: d.id, desc: copyPlain(d.desc) }));
}

function startExecutorsOnWorkers(m: MasterStep): void {
  const cfg = m.s.config;
  for (const id of m.s.waitingApps.slice()) {
    const app = m.s.apps[id];
    if (!app) continue;
    const cpe = app.desc.coresPerExecutor;
    const minCores = cpe ?? 1;
    const left = coresLeft(app, cfg.defaultCores);
    if (left < minCores) continue;
    const candidates = aliveWorkers(m).filter((w) => memoryFree(w) >= app.desc.memoryPerExecutorMb && coresFree(w) >= minCores);
    // Spark sorts ascending (stable) and reverses: equal free cores end up in reverse iteration order.
    const usable = candidates
      .map((w, i) => ({ w, i }))
      .sort((a, b) => coresFree(a.w) - coresFree(b.w) || a.i - b.i)
      .reverse()
      .map((x) => x.w);
    const assigned = scheduleExecutorsOnWorkers(
      {
        coresLeft: left,
        coresPerExecutor: cpe,
        memoryPerExecutorMb: app.desc.memoryPerExecutorMb,
        executorCount: Object.keys(app.executors).length,
        executorLimit: app.executorLimit,
        spreadOut: cfg.spreadOutApps,
      },
      usable.map((w) => ({ coresFree: coresFree(w), memoryFree: memoryFree(w) })),
    );
    for (let pos = 0; pos < usable.length; pos++) {
      if (assigned[pos]! > 0) allocateWorkerResourceToExecutors(m, app, assigned[pos]!, cpe, usable[pos]!);
    }
  }
}

function allocateWorkerResourceToExecutors(
  m: MasterStep,
  app: ApplicationInfo,
  assignedCores: number,
  cpe: number | undefined,
  w: WorkerInfo,
): void {
  const numExecutors = cpe ? Math.floor(assignedCores / cpe) : 1;
  const coresEach = cpe ?? assignedCores;
  reserveExecutorIds(m, app, numExecutors);
  for (let i = 0; i < numExecutors; i++) {
    const e = appAddExecutor(app, w, coresEach, m.now);
    launchExecutor(m, w, e, app);
    transition("app", app, "RUNNING");
  }
}

/**
 * How many executor ids a reservation adds beyond those about to be launched: the app's record is
 * written once per this many launches, not once per launch (a write is an fsync, or a ZooKeeper
 * round trip). The price is a gap of at most this many ids after a failover.
 */
export const EXECUTOR_ID_RESERVATION_BLOCK = 16;

/**
 * Before launching `count` executors, makes sure their ids are reserved in the store: the app's
 * record, written before the LaunchExecutor messages go out (effects run in order, and a host
 * finishes a persist before the next effect), carries the bound a recovered master starts from.
 */
function reserveExecutorIds(m: MasterStep, app: ApplicationInfo, count: number): void {
  const needed = app.nextExecutorId + count;
  if (needed <= app.executorIdsReserved) return;
  app.executorIdsReserved = needed + EXECUTOR_ID_RESERVATION_BLOCK;
  persistApp(m, app);
}

export function launchExecutor(m: MasterStep, w: WorkerInfo, e: ExecutorDesc, app: ApplicationInfo): void {
  assert(w.state === "ALIVE", `launching executor ${e.appId}/${e.id} on ${w.state} worker ${w.id}`);
  workerAddExecutor(w, e);
  m.fx.push(
    send(w.address, {
      type: "LaunchExecutor",
      masterUrl: m.s.address,
      appId: app.id,
      execId: e.id,
      appDesc: copyPlain(app.desc),
      driverAddress: app.driverAddress,
      cores: e.cores,
      memoryMb: e.memoryMb,
    }),
  );
  m.fx.push(
    send(app.driverAddress, {
      type: "ExecutorAdded",
      execId: e.id,
      workerId: w.id,
      hostPort: `${w.host}:${w.port}`,
      cores: e.cores,
      memoryMb: e.memoryMb,
    }),
  );
}
