/**
 * Recovery mode NONE (Spark's BlackHolePersistenceEngine, kept in memory so tests can read it): the
 * records live as long as the process, so a restarted master starts empty. Every record is copied
 * in and out, so no caller can change what the store holds.
 */
import type { PersistedRecord } from "../../protocol/records.js";
import { addRecord, checkKey, emptyRecords } from "./codec.js";
import type { DurableRecoveryStore, RecoveryReadResult } from "./types.js";

export class InMemoryRecoveryStore implements DurableRecoveryStore {
  private readonly records = new Map<string, PersistedRecord>();

  async read(): Promise<RecoveryReadResult> {
    const records = emptyRecords();
    for (const record of this.records.values()) addRecord(records, structuredClone(record));
    return { records, problems: [] };
  }

  async persist(key: string, record: PersistedRecord): Promise<void> {
    checkKey(key, record);
    this.records.set(key, structuredClone(record));
  }

  async unpersist(key: string): Promise<void> {
    this.records.delete(key);
  }

  async close(): Promise<void> {}

  get size(): number {
    return this.records.size;
  }
}
