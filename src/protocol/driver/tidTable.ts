/**
 * A record keyed by TID for TIDs that come and go roughly in launch order (Spark's
 * taskIdToTaskSetManager), as plain data: a window over the TID sequence.
 *
 * Why not a record keyed by TID: a JavaScript object whose integer keys are added and deleted
 * falls back to a hash table in which every write is a runtime call (measured: 0.2-0.6 us per
 * write, several per task); a write into this window is an array store. Reads, iteration order
 * (ascending TIDs) and the data's JSON shape stay simple.
 *
 * Bound: the window spans the TIDs from the oldest present one to the newest, so it holds at most
 * one slot per TID launched since the oldest attempt still tracked (a few per core in a steady
 * run); leading empty slots are dropped once there are TID_TABLE_TRIM_AT of them and they are
 * most of the window, so the work per write stays O(1) amortized.
 */
import { AssertionError } from "../assert.js";

export interface TidTable<T> {
  /** The TID of `slots[0]`; no TID below it is present. */
  base: number;
  /** `slots[i]`: the value of TID `base + i`, or null when that TID is absent. */
  slots: Array<T | null>;
  /** Leading slots known to be null: every TID below `base + head` is absent. */
  head: number;
  /** Number of non-null slots. */
  size: number;
}

/** Leading empty slots dropped at once (when they are also at least half of the window). */
export const TID_TABLE_TRIM_AT = 1024;

export function newTidTable<T>(): TidTable<T> {
  return { base: 0, slots: [], head: 0, size: 0 };
}

export function tidGet<T>(t: TidTable<T>, taskId: number): T | undefined {
  const i = taskId - t.base;
  if (i < t.head || i >= t.slots.length) return undefined;
  const value = t.slots[i]!;
  return value === null ? undefined : value;
}

export function tidHas<T>(t: TidTable<T>, taskId: number): boolean {
  return tidGet(t, taskId) !== undefined;
}

export function tidSet<T>(t: TidTable<T>, taskId: number, value: T): void {
  if (!Number.isSafeInteger(taskId) || taskId < 0) throw new AssertionError(`TID ${taskId} is not a non-negative integer`);
  if (t.size === 0) {
    // Empty: the window starts again at this TID, whatever came before.
    t.base = taskId;
    t.slots.length = 0;
    t.head = 0;
  } else if (taskId < t.base) {
    // Below the window (TIDs are handed out in increasing order, so only a caller's odd order gets here).
    const grow = t.base - taskId;
    t.slots = new Array<T | null>(grow).fill(null).concat(t.slots);
    t.base = taskId;
    t.head += grow;
  }
  const i = taskId - t.base;
  while (t.slots.length < i) t.slots.push(null);
  if (i === t.slots.length) {
    t.slots.push(value);
    t.size += 1;
  } else {
    if (t.slots[i] === null) t.size += 1;
    t.slots[i] = value;
  }
  if (i < t.head) t.head = i;
}

export function tidDelete<T>(t: TidTable<T>, taskId: number): void {
  const i = taskId - t.base;
  if (i < t.head || i >= t.slots.length || t.slots[i] === null) return;
  t.slots[i] = null;
  t.size -= 1;
  if (t.size === 0) {
    t.slots.length = 0;
    t.head = 0;
    return;
  }
  if (i !== t.head) return;
  while (t.slots[t.head] === null) t.head += 1;
  if (t.head >= TID_TABLE_TRIM_AT && t.head * 2 >= t.slots.length) {
    t.slots.splice(0, t.head);
    t.base += t.head;
    t.head = 0;
  }
}

/** The present TIDs, ascending. */
export function tidKeys<T>(t: TidTable<T>): number[] {
  const out: number[] = [];
  for (let i = t.head; i < t.slots.length; i++) if (t.slots[i] !== null) out.push(t.base + i);
  return out;
}
