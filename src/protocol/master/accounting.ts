/** Resource bookkeeping on WorkerInfo and ApplicationInfo (Spark's WorkerInfo/ApplicationInfo methods). */
import { fullExecutorId } from "../ids.js";
import type { ApplicationInfo, DriverInfo, ExecutorDesc, WorkerInfo } from "./state.js";

/** The app's core cap: spark.cores.max, else spark.deploy.defaultCores. */
export const maxCoresOf = (app: ApplicationInfo, defaultCores: number): number => app.desc.maxCores ?? defaultCores;

export const coresLeft = (app: ApplicationInfo, defaultCores: number): number => maxCoresOf(app, defaultCores) - app.coresGranted;

export const coresFree = (w: WorkerInfo): number => w.cores - w.coresUsed;
export const memoryFree = (w: WorkerInfo): number => w.memoryMb - w.memoryUsed;

export function workerAddExecutor(w: WorkerInfo, e: ExecutorDesc): void {
  w.executors[fullExecutorId(e.appId, e.id)] = { appId: e.appId, execId: e.id, cores: e.cores, memoryMb: e.memoryMb };
  w.coresUsed += e.cores;
  w.memoryUsed += e.memoryMb;
}

/** Frees the executor's resources only if the worker still holds it (Spark's guard). */
export function workerRemoveExecutor(w: WorkerInfo, e: { appId: ExecutorDesc["appId"]; id: number }): void {
  const key = fullExecutorId(e.appId, e.id);
  const slot = w.executors[key];
  if (!slot) return;
  delete w.executors[key];
  w.coresUsed -= slot.cores;
  w.memoryUsed -= slot.memoryMb;
}

export function workerAddDriver(w: WorkerInfo, d: DriverInfo, countResources: boolean): void {
  w.drivers[d.id] = true;
  if (!countResources) return;
  w.coresUsed += d.desc.cores;
  w.memoryUsed += d.desc.memoryMb;
}

/** Spark subtracts a driver's resources unconditionally; we do so only for a driver the worker holds. */
export function workerRemoveDriver(w: WorkerInfo, d: DriverInfo, countedResources: boolean): void {
  if (!w.drivers[d.id]) return;
  delete w.drivers[d.id];
  if (!countedResources) return;
  w.coresUsed -= d.desc.cores;
  w.memoryUsed -= d.desc.memoryMb;
}

export function appAddExecutor(app: ApplicationInfo, w: WorkerInfo, cores: number, nowMs: number, useId?: number): ExecutorDesc {
  const id = useId ?? app.nextExecutorId;
  app.nextExecutorId = Math.max(app.nextExecutorId, id + 1);
  const e: ExecutorDesc = {
    id,
    appId: app.id,
    workerId: w.id,
    cores,
    memoryMb: app.desc.memoryPerExecutorMb,
    state: "LAUNCHING",
    launchedAtMs: nowMs,
  };
  app.executors[String(id)] = e;
  app.coresGranted += cores;
  if (!app.workerIdsUsed.includes(w.id)) app.workerIdsUsed.push(w.id);
  return e;
}

export function appRemoveExecutor(app: ApplicationInfo, e: ExecutorDesc): void {
  const key = String(e.id);
  if (!app.executors[key]) return;
  delete app.executors[key];
  app.removedExecutorCount += 1;
  app.coresGranted -= e.cores;
}
