/**
 * The recovery store and the election service, modelled after Spark's recovery modes (docs/protocol.md
 * §3.2, §3.3).
 *  - zookeeper: each live master holds a session; the leader is the master with the oldest
 *    unexpired session. A master that dies keeps its session until the session timeout expires,
 *    then the next master is elected and gets `leaderElected` with what the store holds. A master
 *    paused longer than the session timeout loses its session while alive: a leader gets
 *    `leadershipRevoked` (it sees it on resume); a standby opens a new session on resume and takes
 *    part in the election again, last in line. While the store (ZooKeeper) is unavailable the leader's latch is
 *    suspended, which Spark treats as lost leadership (SPARK-29861), and nobody is elected.
 *  - filesystem: no election (MonarchyLeaderAgent): every master that starts is leader at once
 *    and reads the store.
 *  - none: as filesystem, with a store that keeps nothing.
 * Writes while the store is unavailable are lost (Spark's handler would throw part way through;
 * a reducer cannot be interrupted, so the write is what is lost).
 */
import { recordKey, type PersistedRecord, type StoredRecords } from "../protocol/index.js";
import type { RecoveryMode } from "./scenario.js";
import type { SimNode, World } from "./world.js";

export class RecoveryStore {
  private readonly records = new Map<string, PersistedRecord>();
  available = true;
  lostWrites = 0;
  writes = 0;

  constructor(readonly keeps: boolean) {}

  persist(key: string, record: PersistedRecord): void {
    if (!this.keeps) return;
    if (!this.available) {
      this.lostWrites++;
      return;
    }
    this.writes++;
    this.records.delete(key); // re-insert so that iteration follows the latest write
    this.records.set(key, record);
  }

  unpersist(key: string): void {
    if (!this.keeps) return;
    if (!this.available) {
      this.lostWrites++;
      return;
    }
    this.writes++;
    this.records.delete(key);
  }

  /** Fills the store before the run (a scenario's `store`): not counted as writes, since no master made them. */
  preload(records: StoredRecords): void {
    if (!this.keeps) return;
    const all: PersistedRecord[] = [
      ...records.apps.map((app) => ({ kind: "app" as const, app })),
      ...records.drivers.map((driver) => ({ kind: "driver" as const, driver })),
      ...records.workers.map((worker) => ({ kind: "worker" as const, worker })),
    ];
    for (const record of all) this.records.set(recordKey(record), structuredClone(record));
  }

  /** A fresh copy of everything held, as a newly elected master reads it. */
  read(): StoredRecords {
    const out: StoredRecords = { apps: [], drivers: [], workers: [] };
    for (const record of this.records.values()) {
      const copy = structuredClone(record);
      if (copy.kind === "app") out.apps.push(copy.app);
      else if (copy.kind === "driver") out.drivers.push(copy.driver);
      else out.workers.push(copy.worker);
    }
    return out;
  }

  get size(): number {
    return this.records.size;
  }
}

interface Session {
  master: SimNode;
  /** The master's incarnation that opened the session. */
  incarnation: number;
  expired: boolean;
}

export interface ElectionEvent {
  timeMs: number;
  what: "elected" | "revoked" | "sessionExpired";
  master: string;
}

export class Election {
  private readonly sessions: Session[] = [];
  /** The master whose session leads (it may be dead while its session has not expired yet). */
  leader: SimNode | null = null;
  readonly events: ElectionEvent[] = [];
  /** Bumped on every pause, so a session check knows whether the same pause is still going on. */
  private readonly pauseGeneration = new Map<number, number>();
  /**
   * Standbys whose session expired while they were paused: Curator reconnects with a new session
   * and the LeaderLatch takes part again (only a leader is told notLeader and exits), so each
   * rejoins the election, last in line, when it resumes.
   */
  private readonly rejoinOnResume = new Set<SimNode>();

  constructor(
    private readonly world: World,
    readonly store: RecoveryStore,
    readonly mode: RecoveryMode,
    private readonly sessionTimeoutMs: number,
  ) {}

  /** Whether this master is allowed to act as leader right now (by the election service's view). */
  isLeader(master: SimNode): boolean {
    if (this.mode !== "zookeeper") return master.alive;
    return this.leader === master;
  }

  masterUp(master: SimNode): void {
    if (this.mode !== "zookeeper") {
      this.grant(master);
      return;
    }
    this.sessions.push({ master, incarnation: master.incarnation, expired: false });
    this.elect();
  }

  /** The newest open session of this master (an older one of a previous life may still run out). */
  private sessionOf(master: SimNode): Session | undefined {
    for (let i = this.sessions.length - 1; i >= 0; i--) {
      const s = this.sessions[i]!;
      if (s.master === master && !s.expired) return s;
    }
    return undefined;
  }

  masterDown(master: SimNode): void {
    if (this.mode !== "zookeeper") return;
    this.rejoinOnResume.delete(master);
    const session = this.sessionOf(master);
    if (session === undefined) return;
    this.world.at(this.world.now + this.sessionTimeoutMs, () => this.expire(session));
  }

  masterPaused(master: SimNode): void {
    if (this.mode !== "zookeeper") return;
    const generation = (this.pauseGeneration.get(master.key) ?? 0) + 1;
    this.pauseGeneration.set(master.key, generation);
    const session = this.sessionOf(master);
    if (session === undefined) return;
    this.world.at(this.world.now + this.sessionTimeoutMs, () => {
      if (master.paused && this.pauseGeneration.get(master.key) === generation) this.expire(session);
    });
  }

  /** A paused master resumed: a standby whose session expired meanwhile opens a new one. */
  masterResumed(master: SimNode): void {
    if (this.mode !== "zookeeper" || !this.rejoinOnResume.delete(master) || !master.alive) return;
    this.sessions.push({ master, incarnation: master.incarnation, expired: false });
    this.elect();
  }

  storeDown(): void {
    this.store.available = false;
    if (this.mode !== "zookeeper" || this.leader === null) return;
    const leader = this.leader;
    this.leader = null;
    for (const s of this.sessions) if (s.master === leader) s.expired = true;
    this.revoke(leader);
  }

  storeUp(): void {
    this.store.available = true;
    if (this.mode === "zookeeper") this.elect();
  }

  private expire(session: Session): void {
    if (session.expired) return;
    session.expired = true;
    this.events.push({ timeMs: this.world.now, what: "sessionExpired", master: session.master.name });
    if (
      this.leader !== session.master &&
      session.master.alive &&
      session.master.paused &&
      session.master.incarnation === session.incarnation
    )
      this.rejoinOnResume.add(session.master);
    if (this.leader === session.master) {
      this.leader = null;
      if (session.master.alive && session.master.incarnation === session.incarnation) this.revoke(session.master);
    }
    this.elect();
  }

  private revoke(master: SimNode): void {
    this.events.push({ timeMs: this.world.now, what: "revoked", master: master.name });
    if (master.alive) this.world.pushInput(master, { type: "leadershipRevoked" }, this.world.now + 1);
  }

  private elect(): void {
    if (this.leader !== null || !this.store.available) return;
    const next = this.sessions.find((s) => !s.expired);
    if (next === undefined) return;
    this.leader = next.master;
    // A dead master's session still leads until it expires; it cannot act on it.
    if (next.master.alive && next.master.incarnation === next.incarnation) this.grant(next.master);
  }

  private grant(master: SimNode): void {
    this.events.push({ timeMs: this.world.now, what: "elected", master: master.name });
    this.world.pushInput(master, { type: "leaderElected", stored: this.store.read() }, this.world.now + 1);
  }
}
