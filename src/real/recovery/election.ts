/**
 * Leader election on ZooKeeper (docs/protocol.md §3.3), the classic recipe: each candidate creates an
 * EPHEMERAL_SEQUENTIAL znode `<root>/leader_election/n_<seq>`; the lowest sequence number leads;
 * every other candidate watches only its predecessor (no herd effect) and re-checks when it goes.
 *
 * Fencing (flint's answer to SPARK-29861 and §3.5 item 8). A leader holds a LEASE: it may act only
 * while `now < lastConfirmedMs + graceMs`, where `lastConfirmedMs` is the time at which it SENT the
 * latest request the server answered successfully (a probe runs every graceMs/4). The server can
 * expire a session only after it has heard nothing from it for the negotiated session timeout, and
 * it heard from us after `lastConfirmedMs`; a standby is elected only once the old leader's znode is
 * gone, i.e. after that expiry. `graceMs` is capped at half the NEGOTIATED timeout, so the lease
 * runs out (and `revoked` fires) well before the server may expire the session and elect another
 * candidate, even if our timer fires late by up to the other half. Hence:
 *   - a disconnection (ZooKeeper restart, network blip) shorter than the grace is tolerated: the
 *     client reconnects to the same session and the leader never stops (Curator/Spark revoke at once);
 *   - past the grace the leader is revoked although its session may still live: it never acts
 *     while the session may have expired;
 *   - a server that stops answering without closing the socket (paused, partitioned) is caught by
 *     the probe, which the library alone would not notice;
 *   - session expiry, an auth failure, or our znode vanishing revoke at once.
 * `holdsLeadership()` re-checks the lease synchronously, for a host that wants to check right
 * before a scheduling decision (a process paused longer than the lease must not act on resume).
 * Revocation is final for this `start` (Spark's master exits on RevokedLeadership): the candidate
 * closes its session and leaves; call `start` again to re-enter as a fresh candidate. A STANDBY
 * whose session expires simply re-enters with a new session, since it never acted.
 */
import { performance } from "node:perf_hooks";
import type { LeaderElection, LeadershipHandlers } from "./types.js";
import { DEFAULT_ZK_REQUEST_TIMEOUT_MS, DEFAULT_ZK_ROOT, DEFAULT_ZK_SESSION_TIMEOUT_MS, joinZk, normalizeRoot } from "./zookeeper.js";
import { zk, ZkClient, type ZkState } from "./zkClient.js";

const NODE_PREFIX = "n_";
/** Pause between attempts to re-enter after a standby lost its session (ZooKeeper may be down). */
const REJOIN_DELAY_MS = 250;

export interface ZooKeeperElectionOptions {
  /** `host:port[,host:port...]`. */
  connectString: string;
  /** Folder for flint's znodes (default `/flint`); candidates live in `<root>/leader_election`. */
  root?: string;
  /** Requested session timeout (default Spark's 60 s); the server clamps it to [2, 20] x tickTime. */
  sessionTimeoutMs?: number;
  /**
   * How long a leader keeps leading without a confirmed answer from ZooKeeper (default a third of
   * the session timeout); capped at half the negotiated session timeout (see the module comment).
   */
  disconnectGraceMs?: number;
  requestTimeoutMs?: number;
  /** Stored in the candidate's znode, to tell who leads (e.g. the master's address). */
  candidateId?: string;
  /** Optional trace of what the election does (event name + fields). */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

type Phase = "idle" | "candidate" | "leader";

export class ZooKeeperLeaderElection implements LeaderElection {
  private readonly root: string;
  private readonly electionPath: string;
  private phase: Phase = "idle";
  private handlers: LeadershipHandlers | undefined;
  private client: ZkClient | undefined;
  /** Full path of this candidate's znode in the current session. */
  private nodePath: string | undefined;
  /** Bumped on every (re)join and stop: callbacks of an older session see a different number and do nothing. */
  private generation = 0;
  /** Monotonic send time of the latest request the server answered (see the module comment). */
  private lastConfirmedMs = 0;
  private graceMs = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private probeInFlight = false;
  /** The predecessor znode we hold a watch on in this session (one watch per predecessor, not one per check). */
  private watchedPredecessor: string | undefined;

  constructor(private readonly options: ZooKeeperElectionOptions) {
    this.root = normalizeRoot(options.root ?? DEFAULT_ZK_ROOT);
    this.electionPath = joinZk(this.root, "leader_election");
  }

  /** True while this candidate leads and its lease is still valid. */
  holdsLeadership(): boolean {
    return this.phase === "leader" && performance.now() < this.lastConfirmedMs + this.graceMs;
  }

  /** The grace in force for the current session (0 before the first connection). */
  get effectiveGraceMs(): number {
    return this.graceMs;
  }

  async start(handlers: LeadershipHandlers): Promise<void> {
    if (this.phase !== "idle") throw new Error("election already started");
    this.handlers = handlers;
    this.phase = "candidate";
    try {
      await this.join();
    } catch (error) {
      this.leave();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.phase === "leader") this.log("stepped-down", {});
    this.leave();
  }

  private async join(): Promise<void> {
    const generation = ++this.generation;
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS;
    const client = await ZkClient.connect(this.options.connectString, {
      sessionTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs ?? DEFAULT_ZK_REQUEST_TIMEOUT_MS,
    });
    if (generation !== this.generation) {
      client.close();
      return;
    }
    this.client = client;
    const negotiatedMs = client.sessionTimeoutMs;
    this.graceMs = Math.min(this.options.disconnectGraceMs ?? Math.floor(sessionTimeoutMs / 3), Math.floor(negotiatedMs / 2));
    client.onState((state) => this.onState(generation, state));
    await client.mkdirp(this.electionPath);
    const data = Buffer.from(this.options.candidateId ?? "", "utf8");
    this.nodePath = await this.confirmed(() =>
      client.create(joinZk(this.electionPath, NODE_PREFIX), data, zk.CreateMode.EPHEMERAL_SEQUENTIAL),
    );
    this.log("joined", { node: this.nodePath, session: client.sessionId, negotiatedTimeoutMs: negotiatedMs, graceMs: this.graceMs });
    this.scheduleProbe(generation);
    await this.check(generation);
  }

  /** Runs `request`, and on success records its send time as the latest confirmed contact. */
  private async confirmed<T>(request: () => Promise<T>): Promise<T> {
    const sentMs = performance.now();
    const result = await request();
    if (sentMs > this.lastConfirmedMs) this.lastConfirmedMs = sentMs;
    return result;
  }

  /** Leads if our znode is the lowest, otherwise watches the predecessor. Idempotent. */
  private async check(generation: number): Promise<void> {
    const client = this.client;
    if (generation !== this.generation || this.phase !== "candidate" || !client || !this.nodePath) return;
    let children: string[];
    try {
      children = await this.confirmed(() => client.getChildren(this.electionPath));
    } catch (error) {
      // Disconnected: the library reconnects and onState("connected") checks again.
      this.log("check-failed", { error: (error as Error).message });
      return;
    }
    if (generation !== this.generation || this.phase !== "candidate") return;
    const ours = this.nodePath.slice(this.electionPath.length + 1);
    const ordered = children.filter((name) => name.startsWith(NODE_PREFIX)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    const index = ordered.indexOf(ours);
    if (index < 0) {
      this.sessionLost(generation, "our election znode is gone (session expired)");
      return;
    }
    if (index === 0) {
      this.becomeLeader(generation);
      return;
    }
    const predecessor = joinZk(this.electionPath, ordered[index - 1]);
    if (predecessor === this.watchedPredecessor) return; // the watch (re-set by the client on reconnect) will call us
    this.watchedPredecessor = predecessor;
    const onChange = () => {
      if (generation !== this.generation) return;
      if (this.watchedPredecessor === predecessor) this.watchedPredecessor = undefined;
      void this.check(generation);
    };
    try {
      const present = await client.exists(predecessor, onChange);
      if (!present) onChange();
    } catch (error) {
      if (this.watchedPredecessor === predecessor) this.watchedPredecessor = undefined;
      this.log("check-failed", { error: (error as Error).message });
    }
  }

  private becomeLeader(generation: number): void {
    if (generation !== this.generation || this.phase !== "candidate") return;
    if (performance.now() >= this.lastConfirmedMs + this.graceMs) return; // the next probe re-checks
    this.phase = "leader";
    this.armLease(generation);
    this.log("elected", { node: this.nodePath });
    this.handlers?.elected();
  }

  private onState(generation: number, state: ZkState): void {
    if (generation !== this.generation) return;
    this.log("zookeeper-state", { state });
    switch (state) {
      case "connected":
      case "read-only":
        void this.check(generation);
        return;
      case "disconnected":
        return; // tolerated until the lease runs out
      case "expired":
        this.sessionLost(generation, "ZooKeeper session expired");
        return;
      case "auth-failed":
        this.sessionLost(generation, "ZooKeeper authentication failed");
        return;
    }
  }

  /** The session is gone: a leader is revoked for good; a standby re-enters with a new session. */
  private sessionLost(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    if (this.phase === "leader") {
      this.revoke(reason);
      return;
    }
    if (this.phase !== "candidate") return;
    this.log("rejoining", { reason });
    this.dropSession();
    void this.rejoin();
  }

  private async rejoin(): Promise<void> {
    while (this.phase === "candidate") {
      try {
        await this.join();
        return;
      } catch (error) {
        this.log("rejoin-failed", { error: (error as Error).message });
        this.dropSession();
        await new Promise((resolve) => setTimeout(resolve, REJOIN_DELAY_MS));
      }
    }
  }

  private revoke(reason: string): void {
    const handlers = this.handlers;
    this.log("revoked", { reason });
    this.leave();
    handlers?.revoked(reason);
  }

  private armLease(generation: number): void {
    clearTimeout(this.leaseTimer);
    const remainingMs = this.lastConfirmedMs + this.graceMs - performance.now();
    this.leaseTimer = setTimeout(
      () => {
        if (generation !== this.generation || this.phase !== "leader") return;
        if (performance.now() >= this.lastConfirmedMs + this.graceMs) {
          this.revoke(`no confirmed contact with ZooKeeper for ${this.graceMs} ms (grace); the session may be lost`);
        } else {
          this.armLease(generation);
        }
      },
      Math.max(0, Math.ceil(remainingMs)),
    );
  }

  private scheduleProbe(generation: number): void {
    const intervalMs = Math.max(20, Math.floor(this.graceMs / 4));
    this.probeTimer = setTimeout(() => {
      if (generation !== this.generation || this.phase === "idle") return;
      this.scheduleProbe(generation);
      void this.probe(generation);
    }, intervalMs);
  }

  private async probe(generation: number): Promise<void> {
    const client = this.client;
    const nodePath = this.nodePath;
    if (this.probeInFlight || !client || !nodePath) return;
    this.probeInFlight = true;
    try {
      const present = await this.confirmed(() => client.exists(nodePath));
      if (!present) this.sessionLost(generation, "our election znode is gone (session expired)");
      else if (this.phase === "candidate" && generation === this.generation) void this.check(generation);
    } catch {
      // No answer: the lease timer decides.
    } finally {
      this.probeInFlight = false;
    }
  }

  private dropSession(): void {
    clearTimeout(this.probeTimer);
    clearTimeout(this.leaseTimer);
    this.probeTimer = this.leaseTimer = undefined;
    this.generation += 1;
    this.client?.close();
    this.client = undefined;
    this.nodePath = undefined;
    this.watchedPredecessor = undefined;
    this.probeInFlight = false;
  }

  /** Closes the session (the server deletes our znode at once if it can be reached) and goes idle. */
  private leave(): void {
    this.dropSession();
    this.phase = "idle";
    this.handlers = undefined;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.options.log?.(event, { candidate: this.options.candidateId, ...fields });
  }
}

function sequenceOf(name: string): number {
  return Number.parseInt(name.slice(NODE_PREFIX.length), 10);
}
