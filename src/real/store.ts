/**
 * The master's recovery store (PROTOCOL.md §3.2): what an elected master reads back, and what it
 * persists and unpersists as apps, drivers and workers come and go. The in-memory store keeps the
 * records for the life of the process only (no recovery across master restarts); the filesystem
 * and ZooKeeper stores implement the same interface.
 */
import { recordKey, type PersistedRecord, type StoredRecords } from "../protocol/records.js";

export interface RecoveryStore {
  /** Everything the store holds, as an elected master reads it. */
  read(): StoredRecords;
  persist(key: string, record: PersistedRecord): void;
  unpersist(key: string): void;
}

/** Records kept in a Map, in insertion order; `read` returns fresh copies. */
export class InMemoryRecoveryStore implements RecoveryStore {
  private readonly records = new Map<string, PersistedRecord>();

  read(): StoredRecords {
    const stored: StoredRecords = { apps: [], drivers: [], workers: [] };
    for (const record of this.records.values()) {
      const copy = structuredClone(record);
      switch (copy.kind) {
        case "app":
          stored.apps.push(copy.app);
          break;
        case "driver":
          stored.drivers.push(copy.driver);
          break;
        case "worker":
          stored.workers.push(copy.worker);
          break;
      }
    }
    return stored;
  }

  persist(key: string, record: PersistedRecord): void {
    if (key !== recordKey(record)) throw new Error(`store key ${key} does not match its record (${recordKey(record)})`);
    this.records.set(key, structuredClone(record));
  }

  unpersist(key: string): void {
    this.records.delete(key);
  }

  get size(): number {
    return this.records.size;
  }
}
