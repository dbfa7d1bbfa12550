/**
 * The network model: latency per link, FIFO per ordered pair of nodes, partitions and message
 * faults. Two delivery models:
 *
 * TCP (the default). A connection between two live nodes never loses a message, it only delays
 * it; what TCP cannot hide is a broken connection, and both ends are told of that:
 *  - §5.2 ordering: one FIFO channel per ordered pair of nodes; channels of different pairs
 *    interleave by their own latencies.
 *  - A message that meets a partition (at its send or at its delivery) is held on its link, as TCP
 *    retransmits it; every later message on the link queues behind it. When the partition heals,
 *    the held messages are delivered at once, in order. When a link has held a message for
 *    CONNECTION_TIMEOUT_MS (Spark's spark.network.timeout: the idle / write-timeout close), the
 *    connection breaks: what either direction still had in flight is lost with it, and both ends
 *    get `peerDisconnected` (each end's own stack notices; nothing has to cross the partition).
 *  - A message fault's `dropFirst` / `dropProbability` means "the send failed and the connection
 *    was reset": the message is lost, so is everything else in flight between the two nodes, and
 *    both ends get `peerDisconnected` (after what was already delivered). `delayMs` only delays;
 *    `duplicateProbability` models a retried ask processed twice (not something TCP does).
 *  - §5.4 disconnects: when a node crashes or exits, every node that exchanged messages with it
 *    gets `peerDisconnected`; a peer behind a partition notices CONNECTION_TIMEOUT_MS later (the
 *    keepalive close). Messages in flight from a crashed node are lost; a graceful `exit` flushes
 *    what was already sent. A message to a node that is down is refused (lost, never connected).
 *
 * Lossy (`lossy: true`, a scenario's `"network": {"lossy": true}`): the raw model of §5.3. A
 * message that crosses a partition or that a fault drops is silently lost, and a silent partition
 * produces no disconnect at all (failure detection falls back to heartbeats).
 *
 * Partitions are between hosts: an executor or cluster-mode driver lives on its worker's host,
 * and traffic within one host is never cut.
 */
import type { Stream } from "./rng.js";

/** A cut between two sets of hosts; `sideB` null means "every host not in sideA". */
export interface Partition {
  id: number;
  sideA: Set<string>;
  sideB: Set<string> | null;
  /** Only traffic from sideA to sideB is cut (a one-way partition). */
  oneWay: boolean;
}

/** A message fault active over [fromMs, untilMs) of virtual time (relative to the run's start). */
export interface MessageFault {
  id: number;
  messageType: string | null;
  fromHost: string | null;
  toHost: string | null;
  dropProbability: number;
  /** Drop the first n matching messages. */
  dropFirst: number;
  delayMs: number;
  duplicateProbability: number;
  fromMs: number;
  untilMs: number;
  /** How many messages this fault changed (dropped, delayed or duplicated). */
  hits: number;
}

/** How long a link may hold an undelivered message before its connection breaks (Spark's spark.network.timeout, 120 s). */
export const CONNECTION_TIMEOUT_MS = 120_000;

export interface NetworkModel {
  /** Lose messages silently at partitions and fault drops (no disconnect), instead of TCP's hold-or-break. */
  lossy: boolean;
  connectionTimeoutMs: number;
}

export const TCP_NETWORK: NetworkModel = { lossy: false, connectionTimeoutMs: CONNECTION_TIMEOUT_MS };

export interface LatencyModel {
  minMs: number;
  maxMs: number;
}

/** One ordered pair of nodes (a TCP connection's direction), created on first use and kept. */
export interface Link {
  /** Dense, from 0, in creation order: the link's index for whoever keeps data per pair (the FIFO check). */
  readonly id: number;
  /** The latest delivery time scheduled on the pair: FIFO, the next one is never earlier. 0: none yet. */
  lastDeliveryMs: number;
  /**
   * Messages sent on the pair so far. Each send is stamped with the count after it (1, 2, ...):
   * its place in the pair's send order, which the FIFO check (I28) holds the deliveries to.
   */
  sent: number;
  /**
   * Set by the world once a delivery on this pair made the two nodes peers (the connection is
   * open), so that later deliveries skip that bookkeeping; cleared when either end goes down.
   */
  peered: boolean;
  /**
   * Kept by the world: the sender's name's word in the trace hash, and the sender's last crashed
   * incarnation (what it sent before then is lost). A delivery reads them here, next to the rest
   * of the pair's data, instead of from the sender, whose object is otherwise not touched.
   */
  fromWord: number;
  fromCrashedIncarnation: number;
  /** TCP mode: the world holds messages of this link behind a partition (every later one queues behind them). */
  holding: boolean;
  /** Messages stamped up to this one were in flight when the connection broke: they are lost. */
  brokenUpToStamp: number;
  /** `sent` when the pair's connection last broke (-1: never): nothing sent since means it is still down, and a second break is the same one. */
  sentAtBreak: number;
  /**
   * TCP mode: the receiver died behind a partition and the sender has not noticed yet (its
   * keepalive does after the connection timeout): what it sends goes on the dead connection and is
   * lost, even to a restarted receiver, until it is told or the receiver dials it again.
   */
  dead: boolean;
}

export class Network {
  /** Links by sender key (node keys are small dense integers), then by receiver key. */
  private readonly linksByFrom: Array<Map<number, Link> | undefined> = [];
  readonly partitions: Partition[] = [];
  readonly faults: MessageFault[] = [];
  /** Delivery times written by `route`; read them up to the count it returns. */
  readonly out: number[] = [0, 0];
  /** Why the last `route` returned 0. */
  lostReason = "";
  /** Links created so far (the next link's id). */
  linkCount = 0;

  /** Set by `route` when it returned 0 because a fault dropped the message (TCP mode: the connection breaks). */
  lostToFault = false;

  constructor(
    private readonly rng: Stream,
    private readonly latency: LatencyModel,
    readonly model: NetworkModel = TCP_NETWORK,
  ) {}

  isCut(fromHost: string, toHost: string): boolean {
    if (this.partitions.length === 0 || fromHost === toHost) return false;
    for (const p of this.partitions) {
      if (p.sideA.has(fromHost) && (p.sideB === null ? !p.sideA.has(toHost) : p.sideB.has(toHost))) return true;
      if (!p.oneWay && p.sideA.has(toHost) && (p.sideB === null ? !p.sideA.has(fromHost) : p.sideB.has(fromHost))) return true;
    }
    return false;
  }

  heal(partitionId: number): boolean {
    const i = this.partitions.findIndex((p) => p.id === partitionId);
    if (i < 0) return false;
    this.partitions.splice(i, 1);
    return true;
  }

  /** The link of an ordered pair of nodes. */
  link(fromKey: number, toKey: number): Link {
    let links = this.linksByFrom[fromKey];
    if (links === undefined) {
      while (this.linksByFrom.length <= fromKey) this.linksByFrom.push(undefined); // dense: a holey array may turn into a hash table
      links = new Map();
      this.linksByFrom[fromKey] = links;
    }
    let link = links.get(toKey);
    if (link === undefined) {
      link = {
        id: this.linkCount++,
        lastDeliveryMs: 0,
        sent: 0,
        peered: false,
        fromWord: 0,
        fromCrashedIncarnation: -1,
        holding: false,
        brokenUpToStamp: 0,
        sentAtBreak: -1,
        dead: false,
      };
      links.set(toKey, link);
    }
    return link;
  }

  /** Every link from a node created so far, in creation order. */
  linksFrom(fromKey: number): IterableIterator<Link> | readonly Link[] {
    return this.linksByFrom[fromKey]?.values() ?? [];
  }

  /** The earliest time >= atMs that keeps FIFO on the pair (for a disconnect after the data). */
  fifoAfter(fromKey: number, toKey: number, atMs: number): number {
    const link = this.link(fromKey, toKey);
    const t = Math.max(atMs, link.lastDeliveryMs);
    link.lastDeliveryMs = t;
    return t;
  }

  /**
   * Routes one message sent at `nowMs` (relative virtual ms). Returns how many deliveries to
   * schedule (0 when lost, 2 when duplicated) and writes their times to `out`.
   */
  route(fromKey: number, toKey: number, fromHost: string, toHost: string, messageType: string, nowMs: number): number {
    return this.routeOn(this.link(fromKey, toKey), fromHost, toHost, messageType, nowMs);
  }

  /**
   * `route` on a link already looked up. In TCP mode the caller holds a message that meets a
   * partition before calling this (a cut is not a loss there).
   */
  routeOn(link: Link, fromHost: string, toHost: string, messageType: string, nowMs: number): number {
    this.lostToFault = false;
    if (this.model.lossy && this.isCut(fromHost, toHost)) {
      this.lostReason = "partition";
      return 0;
    }
    let extraDelayMs = 0;
    let duplicate = false;
    if (this.faults.length > 0) {
      for (const f of this.faults) {
        if (nowMs < f.fromMs || nowMs >= f.untilMs) continue;
        if (f.messageType !== null && f.messageType !== messageType) continue;
        if (f.fromHost !== null && f.fromHost !== fromHost) continue;
        if (f.toHost !== null && f.toHost !== toHost) continue;
        if (f.dropFirst > 0) {
          f.dropFirst--;
          f.hits++;
          this.lostReason = `fault#${f.id}`;
          this.lostToFault = true;
          return 0;
        }
        if (this.rng.chance(f.dropProbability)) {
          f.hits++;
          this.lostReason = `fault#${f.id}`;
          this.lostToFault = true;
          return 0;
        }
        if (f.delayMs > 0) {
          extraDelayMs += f.delayMs;
          f.hits++;
        }
        if (this.rng.chance(f.duplicateProbability)) {
          duplicate = true;
          f.hits++;
        }
      }
    }
    const latencyMs = fromHost === toHost ? 0 : this.rng.int(this.latency.minMs, this.latency.maxMs);
    // FIFO per ordered pair: never before an earlier message on the same pair (ties keep seq order).
    const at = Math.max(nowMs + latencyMs + extraDelayMs, link.lastDeliveryMs);
    this.out[0] = at;
    if (duplicate) {
      this.out[1] = at + 1;
      link.lastDeliveryMs = at + 1;
      return 2;
    }
    link.lastDeliveryMs = at;
    return 1;
  }
}
