/**
 * Compact per-integer bookkeeping for the checks, for keys that come densely from 0 (a driver's
 * TIDs, a task set's indices): flat arrays indexed by the key instead of a Map or Set that
 * holds every key ever seen (100,000 TIDs in a Map cost megabytes and a cache miss per lookup).
 * A key outside the dense range (negative, fractional, or far beyond every key so far: only a
 * buggy role makes one) goes to a small Map instead, so nothing is lost and memory stays bounded
 * by the keys actually seen.
 */

/** The first dense capacity. */
const INITIAL_CAPACITY = 1024;
/** A key is dense when it is at most this far beyond twice the largest dense capacity so far. */
const DENSE_SLACK = 1 << 16;

function isDenseKey(key: number, capacity: number): boolean {
  return Number.isInteger(key) && key >= 0 && key < capacity * 2 + DENSE_SLACK;
}

function grownCapacity(key: number, capacity: number): number {
  let c = capacity;
  while (c <= key) c *= 2;
  return c;
}

/** A set of non-negative integers (one byte per dense key). */
export class IntFlags {
  private bytes = new Uint8Array(INITIAL_CAPACITY);
  private sparse: Set<number> | null = null;

  has(key: number): boolean {
    if (key >= 0 && key < this.bytes.length && Number.isInteger(key)) return this.bytes[key] === 1;
    return this.sparse?.has(key) === true;
  }

  add(key: number): void {
    if (key >= 0 && key < this.bytes.length && Number.isInteger(key)) {
      this.bytes[key] = 1;
      return;
    }
    if (isDenseKey(key, this.bytes.length)) {
      const bigger = new Uint8Array(grownCapacity(key, this.bytes.length));
      bigger.set(this.bytes);
      this.bytes = bigger;
      this.bytes[key] = 1;
      // Sparse keys the dense range now covers move in (a lookup reads only the dense array for them).
      if (this.sparse !== null) {
        for (const k of this.sparse) {
          if (k >= 0 && k < bigger.length && Number.isInteger(k)) {
            bigger[k] = 1;
            this.sparse.delete(k);
          }
        }
      }
      return;
    }
    (this.sparse ??= new Set()).add(key);
  }
}

/** Bits of `TidLedger`'s per-TID flags. */
const LAUNCHED = 1;
const FINISHED = 2;

/** What the ledger knows of one TID outside the dense range. */
interface SparseTid {
  flags: number;
  taskSetId: string;
  index: number;
  executorId: string;
}

/**
 * What a driver's checks remember per TID: whether it was launched (and its task set, index and
 * executor then), and whether a finished status update for it was delivered. Per TID: one byte,
 * one float64 and two references to the (shared) id strings.
 */
export class TidLedger {
  private flags = new Uint8Array(INITIAL_CAPACITY);
  private index = new Float64Array(INITIAL_CAPACITY);
  private taskSet: string[] = new Array<string>(INITIAL_CAPACITY).fill("");
  private executor: string[] = new Array<string>(INITIAL_CAPACITY).fill("");
  private sparse: Map<number, SparseTid> | null = null;

  /** Whether the TID has a dense slot, growing the arrays when it is dense but beyond them. */
  private slot(taskId: number, grow: boolean): boolean {
    if (taskId >= 0 && taskId < this.flags.length && Number.isInteger(taskId)) return true;
    if (!grow || !isDenseKey(taskId, this.flags.length)) return false;
    const capacity = grownCapacity(taskId, this.flags.length);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
    const index = new Float64Array(capacity);
    index.set(this.index);
    this.index = index;
    // Filled, not holey: a holey array may turn into a hash table.
    for (let i = this.taskSet.length; i < capacity; i++) {
      this.taskSet.push("");
      this.executor.push("");
    }
    // Sparse TIDs the dense range now covers move in (a lookup reads only the arrays for them).
    if (this.sparse !== null) {
      for (const [id, t] of this.sparse) {
        if (id < 0 || id >= capacity || !Number.isInteger(id)) continue;
        this.sparse.delete(id);
        flags[id] = t.flags;
        index[id] = t.index;
        this.taskSet[id] = t.taskSetId;
        this.executor[id] = t.executorId;
      }
    }
    return true;
  }

  private sparseFlags(taskId: number): number {
    return this.sparse?.get(taskId)?.flags ?? 0;
  }

  launched(taskId: number): boolean {
    return ((this.slot(taskId, false) ? this.flags[taskId]! : this.sparseFlags(taskId)) & LAUNCHED) !== 0;
  }

  finished(taskId: number): boolean {
    return ((this.slot(taskId, false) ? this.flags[taskId]! : this.sparseFlags(taskId)) & FINISHED) !== 0;
  }

  /** The task set of a launched TID (undefined: never launched). */
  taskSetOf(taskId: number): string | undefined {
    if (!this.launched(taskId)) return undefined;
    return this.slot(taskId, false) ? this.taskSet[taskId] : this.sparse!.get(taskId)!.taskSetId;
  }

  /** The index of a launched TID (call only for a launched one). */
  indexOf(taskId: number): number {
    return this.slot(taskId, false) ? this.index[taskId]! : (this.sparse?.get(taskId)?.index ?? -1);
  }

  /** The executor a launched TID was sent to (undefined: never launched). */
  executorOf(taskId: number): string | undefined {
    if (!this.launched(taskId)) return undefined;
    return this.slot(taskId, false) ? this.executor[taskId] : this.sparse!.get(taskId)!.executorId;
  }

  /** Records a launch; a second launch of a TID overwrites what the first recorded (as a Map would). */
  launch(taskId: number, taskSetId: string, index: number, executorId: string): void {
    if (this.slot(taskId, true)) {
      this.flags[taskId]! |= LAUNCHED;
      this.index[taskId] = index;
      this.taskSet[taskId] = taskSetId;
      this.executor[taskId] = executorId;
      return;
    }
    const sparse = (this.sparse ??= new Map());
    sparse.set(taskId, { flags: this.sparseFlags(taskId) | LAUNCHED, taskSetId, index, executorId });
  }

  finish(taskId: number): void {
    if (this.slot(taskId, true)) {
      this.flags[taskId]! |= FINISHED;
      return;
    }
    const sparse = (this.sparse ??= new Map());
    const known = sparse.get(taskId);
    if (known !== undefined) known.flags |= FINISHED;
    else sparse.set(taskId, { flags: FINISHED, taskSetId: "", index: -1, executorId: "" });
  }
}
