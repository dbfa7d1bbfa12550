/**
 * What the master persists for recovery (docs/protocol.md §3.2): apps, drivers and workers, under
 * the keys `app_<id>`, `driver_<id>`, `worker_<id>`. Executors, runtime state and the app and
 * driver counters are not persisted, as in Spark; unlike Spark, an app's record carries how many
 * executor ids its master has reserved, so that a recovered master never hands one out twice.
 */
import type { Address, AppId, DriverId, WorkerId } from "./ids.js";
import type { ApplicationDescription, DriverDescription } from "./messages.js";

export interface PersistedApp {
  id: AppId;
  desc: ApplicationDescription;
  driverAddress: Address;
  startTimeMs: number;
  /**
   * Executor ids below this one may have been handed out (flint, not Spark): a recovered master
   * starts the app's counter here. Missing in a record written at registration or by an older flint.
   */
  executorIdsReserved?: number;
}

export interface PersistedDriver {
  id: DriverId;
  desc: DriverDescription;
  startTimeMs: number;
}

export interface PersistedWorker {
  id: WorkerId;
  host: string;
  port: number;
  address: Address;
  cores: number;
  memoryMb: number;
}

export type PersistedRecord =
  | { kind: "app"; app: PersistedApp }
  | { kind: "driver"; driver: PersistedDriver }
  | { kind: "worker"; worker: PersistedWorker };

/** Everything a store held when a master was elected. */
export interface StoredRecords {
  apps: PersistedApp[];
  drivers: PersistedDriver[];
  workers: PersistedWorker[];
}

export const EMPTY_STORE: StoredRecords = Object.freeze({ apps: [], drivers: [], workers: [] }) as StoredRecords;

export function recordKey(record: PersistedRecord): string {
  switch (record.kind) {
    case "app":
      return `app_${record.app.id}`;
    case "driver":
      return `driver_${record.driver.id}`;
    case "worker":
      return `worker_${record.worker.id}`;
  }
}
