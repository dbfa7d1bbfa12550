/**
 * The network model: latency per link, FIFO per ordered pair of nodes, partitions and message
 * faults. Which of Spark's delivery guarantees (docs/protocol.md §5) the model keeps:
 *  - §5.2 ordering: one FIFO channel per ordered pair of nodes (a message never overtakes an
 *    earlier one from the same sender to the same receiver); nothing orders messages between
 *    different pairs, so channels interleave by their own latencies. Kept.
 *  - §5.3 loss: no acknowledgements, retransmission or duplicate checks. A message to a dead node,
 *    a message still in flight when either end crashes (the connection breaks), and a message that
 *    crosses a partition are silently lost. A graceful `exit` flushes what was already sent (TCP
 *    closes after the data). Kept. Duplication is not something TCP does; it is an optional fault
 *    that models a retried ask being processed twice.
 *  - §5.4 disconnects: when a node crashes or exits, every node that exchanged messages with it
 *    gets `peerDisconnected` (unless a partition separates them, in which case nothing is seen).
 *    A silent partition produces NO disconnect: failure detection falls back to heartbeats, as in
 *    Spark. The transport's idle-connection close (~120 s) is not modelled.
 *  - Partitions are between hosts: an executor or cluster-mode driver lives on its worker's host,
 *    and traffic within one host is never cut.
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

  constructor(
    private readonly rng: Stream,
    private readonly latency: LatencyModel,
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
      link = { id: this.linkCount++, lastDeliveryMs: 0, sent: 0, peered: false, fromWord: 0, fromCrashedIncarnation: -1 };
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

  /** `route` on a link already looked up. */
  routeOn(link: Link, fromHost: string, toHost: string, messageType: string, nowMs: number): number {
    if (this.isCut(fromHost, toHost)) {
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
          return 0;
        }
        if (this.rng.chance(f.dropProbability)) {
          f.hits++;
          this.lostReason = `fault#${f.id}`;
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
