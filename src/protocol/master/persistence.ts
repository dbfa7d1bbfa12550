/**
 * The master's persistence writes (docs/protocol.md §3.2): what each record holds. Apart from the
 * procedures of lifecycle.ts so that scheduling, which persists an app's executor-id reservation,
 * does not import them back (no import cycle).
 */
import { copyPlain } from "../copy.js";
import type { PersistedRecord } from "../records.js";
import { recordKey } from "../records.js";
import type { ApplicationInfo, DriverInfo, MasterStep, WorkerInfo } from "./state.js";

export function persist(m: MasterStep, record: PersistedRecord): void {
  m.fx.push({ type: "persist", key: recordKey(record), record });
}

export function unpersist(m: MasterStep, key: string): void {
  m.fx.push({ type: "unpersist", key });
}

export function persistWorker(m: MasterStep, w: WorkerInfo): void {
  persist(m, {
    kind: "worker",
    worker: { id: w.id, host: w.host, port: w.port, address: w.address, cores: w.cores, memoryMb: w.memoryMb },
  });
}

export function persistApp(m: MasterStep, app: ApplicationInfo): void {
  persist(m, {
    kind: "app",
    app: {
      id: app.id,
      desc: copy(app.desc),
      driverAddress: app.driverAddress,
      startTimeMs: app.startTimeMs,
      ...(app.executorIdsReserved > 0 ? { executorIdsReserved: app.executorIdsReserved } : {}),
    },
  });
}

export function persistDriver(m: MasterStep, d: DriverInfo): void {
  persist(m, { kind: "driver", driver: { id: d.id, desc: copy(d.desc), startTimeMs: d.startTimeMs } });
}

/** A fresh deep copy for effects: effects never share objects with the state. */
export const copy = copyPlain;
