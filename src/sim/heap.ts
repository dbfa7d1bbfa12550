/**
 * The simulator's event queue: a binary min-heap ordered by (time, seq). `seq` is the insertion
 * sequence number, unique per world, so two events at the same virtual time leave in the order
 * they were scheduled (the host contract's tie-break, never a race).
 */
export interface Timed {
  /** Virtual time the event is due, in integer ms. */
  time: number;
  /** Insertion sequence; unique, increasing. */
  seq: number;
}

const before = (a: Timed, b: Timed): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

export class EventHeap<E extends Timed> {
  private readonly items: E[] = [];

  get size(): number {
    return this.items.length;
  }

  push(event: E): void {
    const items = this.items;
    let i = items.length;
    items.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(event, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = event;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
