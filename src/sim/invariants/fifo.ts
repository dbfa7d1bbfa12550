/**
 * I28 (PROTOCOL.md §6): handlers of one endpoint never run concurrently, and messages between one
 * ordered pair of processes are processed in FIFO order. The first half holds by construction in
 * both hosts (one input at a time, host contract 1). The second is checked here: per (sender,
 * receiver) pair the messages sent wait in a queue, in send order; the receiver must process them
 * in that order. A message lost on the way is skipped when a later one arrives (a gap is allowed);
 * a duplicated delivery (a fault that models a retried ask) repeats the message just processed
 * (allowed); a message that arrives after a later one was processed is no longer queued: a
 * violation. O(1) amortised per message.
 */
import type { Effect, Input, Message } from "../../protocol/index.js";
import type { Report } from "./report.js";

/** Messages sent and not yet processed (or lost) on one ordered pair, oldest first. */
interface PairQueue {
  items: Message[];
  /** Index of the oldest item not yet processed or skipped. */
  head: number;
  /** The message processed last on this pair (a duplicate of it may follow). */
  last: Message | null;
}

/** Unprocessed messages kept per pair; beyond it the oldest are forgotten (a receiver that never reads). */
export const FIFO_QUEUE_MAX = 4096;

export interface FifoLedger {
  /** sender name -> receiver name -> the pair's queue. */
  pairs: Map<string, Map<string, PairQueue>>;
}

export const newFifoLedger = (): FifoLedger => ({ pairs: new Map() });

function queueOf(ledger: FifoLedger, sender: string, receiver: string): PairQueue {
  let bySender = ledger.pairs.get(sender);
  if (bySender === undefined) {
    bySender = new Map();
    ledger.pairs.set(sender, bySender);
  }
  let q = bySender.get(receiver);
  if (q === undefined) {
    q = { items: [], head: 0, last: null };
    bySender.set(receiver, q);
  }
  return q;
}

/** Queues the messages a node sent in this step, in effect order (the order the host sends them). */
export function noteSends(ledger: FifoLedger, sender: string, effects: readonly Effect[]): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send") continue;
    const q = queueOf(ledger, sender, e.to);
    if (q.items.length - q.head >= FIFO_QUEUE_MAX) q.head++;
    if (q.head > 64 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
    q.items.push(e.message);
  }
}

/**
 * Whether the message being processed is the oldest its sender sent this receiver that is still
 * due (false: it was overtaken). Unknown senders (a test, the submission client) pass.
 */
export function inFifoOrder(ledger: FifoLedger, receiver: string, from: string, m: Message): boolean {
  const q = ledger.pairs.get(from)?.get(receiver);
  if (q === undefined || m === q.last) return true;
  const items = q.items;
  for (let i = q.head; i < items.length; i++) {
    if (items[i] !== m) continue;
    q.head = i + 1;
    q.last = m;
    return true;
  }
  return false;
}

/** I28: messages from one sender are processed in the order it sent them. */
export function checkFifo(ledger: FifoLedger, receiver: string, input: Input | null, report: Report): void {
  if (input?.type !== "message" || inFifoOrder(ledger, receiver, input.from, input.message)) return;
  report("I28:fifo-per-pair", `${receiver} processed ${input.message.type} from ${input.from} after a message ${input.from} sent later`, [input.from]);
}
