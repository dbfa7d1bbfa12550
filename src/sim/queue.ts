/**
 * The world's event queue: events leave in (time, seq) order, exactly as from a binary heap
 * (heap.ts), at O(1) per event instead of O(log n) cache misses in a heap of ~10^4 events.
 *
 * A timing wheel: one FIFO bucket per virtual ms over the WHEEL_MS ms from the last event taken,
 * and a heap (the "overflow") for events further ahead. Every push gets a larger seq than any
 * before it, so appending keeps each bucket in seq order. An overflow event moves into its bucket
 * as soon as its time enters the wheel's span, which is before any push can reach that bucket
 * directly (a push is never earlier than the last event taken), so it lands ahead of them, as
 * its smaller seq requires.
 */
import { EventHeap, type Timed } from "./heap.js";

/**
 * The wheel's span in virtual ms (a power of two): latencies, task runs and heartbeat timers fall
 * inside; the rare longer timers (worker timeout checks, registration back-off) wait in the heap.
 */
export const WHEEL_MS = 1 << 14;
const MASK = WHEEL_MS - 1;

/**
 * One ms of the wheel: items[head..count) wait, in push order. The array is reused, never
 * shortened (a fresh backing store for each ms touched would cost more than the events).
 */
interface Bucket<E> {
  items: E[];
  /** The next item to take. */
  head: number;
  /** Items in use; entries at and after it are stale. */
  count: number;
}

export class EventQueue<E extends Timed> {
  private readonly buckets: Array<Bucket<E> | undefined> = new Array<Bucket<E> | undefined>(WHEEL_MS);
  private readonly overflow = new EventHeap<E>();
  /** The time of the last event taken: no push is earlier, every wheel event is in [cursor, cursor + WHEEL_MS). */
  private cursor = 0;
  /** Buckets in [cursor, scanFrom) are empty. */
  private scanFrom = 0;
  private inWheel = 0;

  get size(): number {
    return this.inWheel + this.overflow.size;
  }

  push(event: E): void {
    const time = event.time;
    if (time < this.cursor) throw new Error(`event at ${time} ms pushed after time ${this.cursor} ms was reached`);
    if (time - this.cursor >= WHEEL_MS) {
      this.overflow.push(event);
      return;
    }
    this.append(event);
    if (time < this.scanFrom) this.scanFrom = time;
  }

  private append(event: E): void {
    const i = event.time & MASK;
    const bucket = this.buckets[i];
    if (bucket === undefined) {
      // Most ms hold one or two events: a one-slot list to start with.
      this.buckets[i] = { items: [event], head: 0, count: 1 };
      this.inWheel++;
      return;
    }
    if (bucket.count < bucket.items.length) bucket.items[bucket.count] = event;
    else bucket.items.push(event);
    bucket.count++;
    this.inWheel++;
  }

  /** The bucket holding the next wheel event (the wheel must not be empty); moves `scanFrom` to it. */
  private nextBucket(): Bucket<E> {
    for (;;) {
      const bucket = this.buckets[this.scanFrom & MASK];
      if (bucket !== undefined && bucket.head < bucket.count) return bucket;
      this.scanFrom++;
    }
  }

  peek(): E | undefined {
    if (this.inWheel > 0) {
      const bucket = this.nextBucket();
      return bucket.items[bucket.head];
    }
    return this.overflow.peek();
  }

  /** `pop`, but only an event due at or before `limitMs`: undefined when the queue is empty or the next event is later. */
  popDue(limitMs: number): E | undefined {
    if (this.inWheel > 0) {
      const bucket = this.nextBucket();
      if (bucket.items[bucket.head]!.time > limitMs) return undefined;
      return this.pop();
    }
    const next = this.overflow.peek();
    return next === undefined || next.time > limitMs ? undefined : this.pop();
  }

  pop(): E | undefined {
    let event: E;
    if (this.inWheel > 0) {
      const bucket = this.nextBucket();
      event = bucket.items[bucket.head++]!;
      this.inWheel--;
      if (bucket.head === bucket.count) {
        bucket.head = 0;
        bucket.count = 0;
      }
    } else {
      const next = this.overflow.pop();
      if (next === undefined) return undefined;
      event = next;
      this.scanFrom = event.time;
    }
    if (event.time > this.cursor) {
      this.cursor = event.time;
      // The span moved: the overflow events it now covers join their buckets, ahead of any later push.
      const limit = this.cursor + WHEEL_MS;
      for (let next = this.overflow.peek(); next !== undefined && next.time < limit; next = this.overflow.peek()) {
        this.overflow.pop();
        this.append(next);
      }
    }
    return event;
  }
}
