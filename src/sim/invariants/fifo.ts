/**
 * I28 (docs/protocol.md §6): handlers of one endpoint never run concurrently, and messages between one
 * ordered pair of processes are processed in FIFO order. The first half holds by construction in
 * both hosts (one input at a time, host contract 1). The second is checked here: per (sender,
 * receiver) pair the messages sent wait in a queue, in send order; the receiver must process them
 * in that order. A message lost on the way is skipped when a later one arrives (a gap is allowed);
 * a duplicated delivery (a fault that models a retried ask) repeats the message just processed
 * (allowed); a message that arrives after a later one was processed is no longer queued: a
 * violation. O(1) amortised per message. A host that stamps its messages in send order is
 * checked on the stamps (`StampedFifo`) instead of queues of the messages themselves.
 */
import type { Effect, Input, Message } from "../../protocol/index.js";
import type { Report } from "./report.js";

/**
 * I28 on send stamps, for a host that stamps each message with its place in its pair's send order
 * (the simulator: `Link.sent`) and says over which pair (by a dense id) each message arrives. The
 * same rule as the queues below, with no queue: a message is in order when no later message of
 * its pair was processed before it; a repeat of the one processed last (a duplicated delivery)
 * passes; gaps (lost messages) pass. Per pair: the stamp processed last. O(1) per message, and
 * nothing to do per send.
 */
export class StampedFifo {
  /** By pair id: the highest stamp processed (0: none yet). */
  private readonly lastStamp: number[] = [];

  /** Whether the message stamped `stamp` on pair `pairId`, processed now, keeps FIFO order; remembers it. */
  processed(pairId: number, stamp: number): boolean {
    const last = this.lastStamp;
    while (last.length <= pairId) last.push(0); // dense: a holey array may turn into a hash table
    const before = last[pairId]!;
    if (stamp > before) {
      last[pairId] = stamp;
      return true;
    }
    return stamp === before;
  }
}

/**
 * Messages sent and not yet processed (or lost) on one ordered pair, oldest first: a ring buffer
 * whose consumed slots are cleared at once, so that the checks keep no processed message alive
 * (holding them would promote every message of the run into the old generation).
 */
export interface PairQueue {
  /** The ring (a power-of-two length); slots outside [head, head + count) are null. */
  items: Array<Message | null>;
  /** Slot of the oldest message not yet processed or skipped. */
  head: number;
  /** Messages waiting. */
  count: number;
  /** The message processed last on this pair (a duplicate of it may follow). */
  last: Message | null;
}

const newPairQueue = (): PairQueue => ({ items: [null, null, null, null], head: 0, count: 0, last: null });

/** Queues a message sent on the pair. */
export function enqueue(q: PairQueue, m: Message): void {
  let items = q.items;
  if (q.count >= FIFO_QUEUE_MAX) {
    // A receiver that never reads: the oldest is forgotten.
    items[q.head] = null;
    q.head = (q.head + 1) & (items.length - 1);
    q.count--;
  }
  if (q.count === items.length) {
    const grown = new Array<Message | null>(items.length * 2).fill(null);
    for (let i = 0; i < q.count; i++) grown[i] = items[(q.head + i) & (items.length - 1)]!;
    items = grown;
    q.items = grown;
    q.head = 0;
  }
  items[(q.head + q.count) & (items.length - 1)] = m;
  q.count++;
}

/** Takes `m` off the queue with every message before it (lost ones); false when it is not queued. */
function dequeue(q: PairQueue, m: Message): boolean {
  const items = q.items;
  const mask = items.length - 1;
  for (let k = 0; k < q.count; k++) {
    if (items[(q.head + k) & mask] !== m) continue;
    for (let j = 0; j <= k; j++) items[(q.head + j) & mask] = null;
    q.head = (q.head + k + 1) & mask;
    q.count -= k + 1;
    return true;
  }
  return false;
}

/** Unprocessed messages kept per pair (a power of two: the ring doubles up to it); beyond it the oldest are forgotten (a receiver that never reads). */
export const FIFO_QUEUE_MAX = 4096;

/**
 * One node's queues as sender (by receiver name) or as receiver (by sender name), with the one
 * used last. Most nodes mostly talk to one peer (an executor to its driver, a worker to its
 * master), so a pair's queue is nearly always the one last used by one of its two ends: the
 * lookups below try both ends' last queue before a Map.
 */
export interface NodeQueues {
  byPeer: Map<string, PairQueue>;
  lastPeer: string;
  last: PairQueue | null;
}

export interface FifoLedger {
  /** sender name -> its queues by receiver name. */
  senders: Map<string, NodeQueues>;
  /** receiver name -> the same queues by sender name. */
  receivers: Map<string, NodeQueues>;
}

export const newFifoLedger = (): FifoLedger => ({ senders: new Map(), receivers: new Map() });

function nodeQueues(index: Map<string, NodeQueues>, name: string): NodeQueues {
  let q = index.get(name);
  if (q === undefined) {
    q = { byPeer: new Map(), lastPeer: "", last: null };
    index.set(name, q);
  }
  return q;
}

/** A sender's queues: look them up once per node and pass them to `noteSendsOf` (the hot path). */
export const senderQueues = (ledger: FifoLedger, sender: string): NodeQueues => nodeQueues(ledger.senders, sender);
/** A receiver's queues: look them up once per node and pass them to `inOrderAt` (the hot path). */
export const receiverQueues = (ledger: FifoLedger, receiver: string): NodeQueues => nodeQueues(ledger.receivers, receiver);

/**
 * The queue of sender -> receiver, created when missing. `from` is the sender's queues; `into`
 * the receiver's, when the caller has them (null: looked up only if the pair is new).
 */
export function queueTo(ledger: FifoLedger, from: NodeQueues, sender: string, into: NodeQueues | null, receiver: string): PairQueue {
  if (into !== null && into.last !== null && into.lastPeer === sender) return into.last;
  if (from.last !== null && from.lastPeer === receiver) return from.last;
  let q = from.byPeer.get(receiver);
  if (q === undefined) {
    q = newPairQueue();
    from.byPeer.set(receiver, q);
    (into ?? nodeQueues(ledger.receivers, receiver)).byPeer.set(sender, q);
  }
  from.lastPeer = receiver;
  from.last = q;
  return q;
}

/** Queues the messages a node sent in this step, in effect order (the order the host sends them). */
export function noteSends(ledger: FifoLedger, sender: string, effects: readonly Effect[]): void {
  noteSendsOf(ledger, senderQueues(ledger, sender), sender, effects);
}

/**
 * `noteSends` with the sender's queues already looked up; `intoOf(i)`, when given, is the
 * receiver's queues of effect i (a send), or null when unknown.
 */
export function noteSendsOf(
  ledger: FifoLedger,
  from: NodeQueues,
  sender: string,
  effects: readonly Effect[],
  receivers: ReadonlyArray<NodeQueues | null> | null = null,
): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send") continue;
    enqueue(queueTo(ledger, from, sender, receivers === null ? null : receivers[i]!, e.to), e.message);
  }
}

/**
 * Whether the message being processed is the oldest its sender sent this receiver that is still
 * due (false: it was overtaken). Unknown senders (a test, the submission client) pass.
 */
export function inFifoOrder(ledger: FifoLedger, receiver: string, from: string, m: Message): boolean {
  const to = ledger.receivers.get(receiver);
  return to === undefined || inOrderAt(to, from, m);
}

/**
 * `inFifoOrder` with the receiver's queues already looked up; `sent`, when given, is the
 * sender's queues (whose last queue is most often this pair's).
 */
export function inOrderAt(to: NodeQueues, from: string, m: Message, sent: NodeQueues | null = null, receiver = ""): boolean {
  let q: PairQueue | undefined;
  if (to.last !== null && to.lastPeer === from) q = to.last;
  else if (sent !== null && sent.last !== null && sent.lastPeer === receiver) q = sent.last;
  else {
    q = to.byPeer.get(from);
    if (q === undefined) return true;
    to.lastPeer = from;
    to.last = q;
  }
  return processedInOrder(q, m);
}

/** Whether `m`, processed now, is the oldest message still due on its pair (or a duplicate of the last one); takes it off. */
export function processedInOrder(q: PairQueue, m: Message): boolean {
  if (m === q.last) return true;
  if (!dequeue(q, m)) return false;
  q.last = m;
  return true;
}

/** I28: messages from one sender are processed in the order it sent them. */
export function checkFifo(ledger: FifoLedger, receiver: string, input: Input | null, report: Report): void {
  if (input?.type !== "message" || inFifoOrder(ledger, receiver, input.from, input.message)) return;
  reportFifo(receiver, input, report);
}

export function reportFifo(receiver: string, input: Extract<Input, { type: "message" }>, report: Report): void {
  report("I28:fifo-per-pair", `${receiver} processed ${input.message.type} from ${input.from} after a message ${input.from} sent later`, [
    input.from,
  ]);
}
