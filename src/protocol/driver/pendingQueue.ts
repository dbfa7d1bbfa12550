/**
 * A FIFO queue of task indices (a task set's pending tasks) as plain data: an array and the
 * position of its first live entry. Taking from the front only moves `head`; the consumed entries
 * are dropped in one `splice` once they are most of the array (and at least COMPACT_AT of them),
 * so a take is O(1) amortized and the array never holds more than twice what is live, plus
 * COMPACT_AT. A memory optimisation only: the order of what is taken is the order of what was put.
 */

export interface PendingQueue {
  /** The entries; those before `head` were taken already. */
  items: number[];
  /** Index in `items` of the first entry not yet taken; 0 <= head <= items.length. */
  head: number;
}

/** Consumed entries are dropped once this many sit at the head (and they are most of the array). */
export const COMPACT_AT = 1024;

/** A queue of `count` indices 0, 1, ..., count - 1, in that order. */
export function newPendingQueue(count: number): PendingQueue {
  // Sized once and filled: growing a 100,000-entry list by `push` costs several times more.
  const items = new Array<number>(count);
  for (let i = 0; i < count; i++) items[i] = i;
  return { items, head: 0 };
}

/** Puts an index at the back. */
export function pushPending(q: PendingQueue, index: number): void {
  q.items.push(index);
}

/** Number of entries not yet taken. */
export function pendingLength(q: PendingQueue): number {
  return q.items.length - q.head;
}

/** Takes the entry at the front, or -1 when the queue is empty (the array is then emptied). */
export function takePending(q: PendingQueue): number {
  const items = q.items;
  if (q.head >= items.length) {
    if (items.length > 0) {
      items.splice(0, items.length);
      q.head = 0;
    }
    return -1;
  }
  const index = items[q.head++]!;
  if (q.head >= COMPACT_AT && q.head * 2 >= items.length) {
    items.splice(0, q.head);
    q.head = 0;
  }
  return index;
}
