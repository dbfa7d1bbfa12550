/** Plain, JSON-ready views of a master's state for `flint status` (read outside the reducer). */
import type { MasterState, WorkerInfo } from "../protocol/master/index.js";

export interface ClusterStatus {
  address: string;
  recoveryState: string;
  workers: Array<{
    id: string;
    address: string;
    state: string;
    cores: number;
    coresUsed: number;
    memoryMb: number;
    memoryUsed: number;
    executors: number;
    drivers: number;
    lastHeartbeatAgoMs: number;
  }>;
  apps: Array<{
    id: string;
    name: string;
    state: string;
    driverAddress: string;
    coresGranted: number;
    maxCores: number | null;
    startTimeMs: number;
    durationMs: number;
    executors: Array<{ id: number; workerId: string; cores: number; memoryMb: number; state: string }>;
  }>;
  drivers: Array<{
    id: string;
    state: string;
    workerId: string | null;
    cores: number;
    memoryMb: number;
    supervise: boolean;
    startTimeMs: number;
  }>;
  /** Oldest first; bounded by the master's retainedApplications. Times are the master's clock (ms since the epoch). */
  completedApps: Array<{
    id: string;
    name: string;
    state: string;
    startTimeMs: number;
    endTimeMs: number;
    durationMs: number;
    workerIds: string[];
  }>;
  /** Oldest first; bounded by the master's retainedDrivers. `workerId` is where it last ran (null: never placed). */
  completedDrivers: Array<{
    id: string;
    state: string;
    exception: string | null;
    workerId: string | null;
    startTimeMs: number;
    endTimeMs: number;
    durationMs: number;
  }>;
}

/**
 * What a worker holds, as a reader should see it. The master keeps a DEAD worker's executor and
 * driver slots (Spark does too: nothing reads them until the worker is culled), but a DEAD worker
 * runs nothing: its executors were declared LOST and its drivers relaunched or ended. Showing its
 * old slots would claim cores in use and executors on a machine that is gone.
 */
function heldBy(w: WorkerInfo): { coresUsed: number; memoryUsed: number; executors: number; drivers: number } {
  if (w.state === "DEAD") return { coresUsed: 0, memoryUsed: 0, executors: 0, drivers: 0 };
  return {
    coresUsed: w.coresUsed,
    memoryUsed: w.memoryUsed,
    executors: Object.keys(w.executors).length,
    drivers: Object.keys(w.drivers).length,
  };
}

export function masterSnapshot(s: MasterState, nowMs: number): ClusterStatus {
  return {
    address: s.address,
    recoveryState: s.recoveryState,
    workers: Object.values(s.workers).map((w) => ({
      id: w.id,
      address: w.address,
      state: w.state,
      cores: w.cores,
      memoryMb: w.memoryMb,
      ...heldBy(w),
      lastHeartbeatAgoMs: Math.max(0, nowMs - w.lastHeartbeatMs),
    })),
    apps: Object.values(s.apps).map((a) => ({
      id: a.id,
      name: a.desc.name,
      state: a.state,
      driverAddress: a.driverAddress,
      coresGranted: a.coresGranted,
      maxCores: a.desc.maxCores ?? null,
      startTimeMs: a.startTimeMs,
      durationMs: Math.max(0, nowMs - a.startTimeMs),
      executors: Object.values(a.executors).map((e) => ({
        id: e.id,
        workerId: e.workerId,
        cores: e.cores,
        memoryMb: e.memoryMb,
        state: e.state,
      })),
    })),
    drivers: Object.values(s.drivers).map((d) => ({
      id: d.id,
      state: d.state,
      workerId: d.workerId ?? null,
      cores: d.desc.cores,
      memoryMb: d.desc.memoryMb,
      supervise: d.desc.supervise,
      startTimeMs: d.startTimeMs,
    })),
    completedApps: s.completedApps.map((a) => ({
      id: a.id,
      name: a.name,
      state: a.state,
      startTimeMs: a.startTimeMs,
      endTimeMs: a.endTimeMs,
      durationMs: Math.max(0, a.endTimeMs - a.startTimeMs),
      workerIds: [...a.workerIds],
    })),
    completedDrivers: s.completedDrivers.map((d) => ({
      id: d.id,
      state: d.state,
      exception: d.exception ?? null,
      workerId: d.workerId ?? null,
      startTimeMs: d.startTimeMs,
      endTimeMs: d.endTimeMs,
      durationMs: Math.max(0, d.endTimeMs - d.startTimeMs),
    })),
  };
}
