/**
 * The asynchronous recovery interfaces the master's host drives (docs/protocol.md §3.2, §3.3).
 *
 * A durable store (filesystem, ZooKeeper) answers asynchronously, unlike the in-memory
 * `RecoveryStore` of ../store.ts. HOST CONTRACT: the host awaits each `persist`/`unpersist` before it
 * carries out the next effect of the same step (and before it feeds the next input), so that an
 * "add" is durable before the reply that acknowledges it is sent (the `persist` effect comes before
 * the `send` in the master's effect list). A rejected `persist` means the state may not be durable:
 * the host must stop acting as master (exit), never send the acknowledgement that follows.
 */
import type { PersistedRecord, StoredRecords } from "../../protocol/records.js";

export interface RecoveryReadResult {
  /** Every record that decoded, grouped as the master's `recovered` input wants them. */
  records: StoredRecords;
  /** One readable line per record that could not be used, naming it (never silently dropped). */
  problems: string[];
}

export interface DurableRecoveryStore {
  /** Everything the store holds, as a newly elected master reads it. */
  read(): Promise<RecoveryReadResult>;
  /** Writes `record` under `key` (`app_<id>`, `driver_<id>`, `worker_<id>`); resolves once durable. */
  persist(key: string, record: PersistedRecord): Promise<void>;
  /** Removes `key`; removing a missing key is fine. */
  unpersist(key: string): Promise<void>;
  /** Releases files or connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

export interface LeadershipHandlers {
  /** This candidate now leads: the host feeds the master `leadership` gained. */
  elected(): void;
  /**
   * This candidate may no longer lead (session lost, or unconfirmed beyond the grace): the host must
   * stop acting as leader at once (Spark: the master exits). Fires at most once per `start`.
   */
  revoked(reason: string): void;
}

export interface LeaderElection {
  /** Joins the election; resolves once the candidate is registered (not necessarily leading). */
  start(handlers: LeadershipHandlers): Promise<void>;
  /** Leaves the election (a leader steps down without a `revoked` call); idempotent. */
  stop(): Promise<void>;
  /**
   * True while this candidate leads and may act right now (its lease, if any, still runs). A host
   * asks before each step, so that a process paused past its lease never acts on resume, even
   * before the `revoked` callback has had a chance to run.
   */
  holdsLeadership(): boolean;
}
