/** Plain, JSON-ready views of a master's state for `flint status` (read outside the reducer). */
import type { MasterState } from "../../protocol/master/index.js";

export interface ClusterStatus {
  address: string;
  recoveryState: string;
  workers: Array<{ id: string; address: string; state: string; cores: number; coresUsed: number; memoryMb: number; memoryUsed: number; executors: number; drivers: number; lastHeartbeatAgoMs: number }>;
  apps: Array<{ id: string; name: string; state: string; driverAddress: string; coresGranted: number; maxCores: number | null; executors: Array<{ id: number; workerId: string; cores: number; memoryMb: number; state: string }> }>;
  drivers: Array<{ id: string; state: string; workerId: string | null; cores: number; memoryMb: number; supervise: boolean }>;
  completedApps: Array<{ id: string; name: string; state: string }>;
  completedDrivers: Array<{ id: string; state: string; exception: string | null }>;
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
      coresUsed: w.coresUsed,
      memoryMb: w.memoryMb,
      memoryUsed: w.memoryUsed,
      executors: Object.keys(w.executors).length,
      drivers: Object.keys(w.drivers).length,
      lastHeartbeatAgoMs: Math.max(0, nowMs - w.lastHeartbeatMs),
    })),
    apps: Object.values(s.apps).map((a) => ({
      id: a.id,
      name: a.desc.name,
      state: a.state,
      driverAddress: a.driverAddress,
      coresGranted: a.coresGranted,
      maxCores: a.desc.maxCores ?? null,
      executors: Object.values(a.executors).map((e) => ({ id: e.id, workerId: e.workerId, cores: e.cores, memoryMb: e.memoryMb, state: e.state })),
    })),
    drivers: Object.values(s.drivers).map((d) => ({
      id: d.id,
      state: d.state,
      workerId: d.workerId ?? null,
      cores: d.desc.cores,
      memoryMb: d.desc.memoryMb,
      supervise: d.desc.supervise,
    })),
    completedApps: s.completedApps.map((a) => ({ id: a.id, name: a.name, state: a.state })),
    completedDrivers: s.completedDrivers.map((d) => ({ id: d.id, state: d.state, exception: d.exception ?? null })),
  };
}
