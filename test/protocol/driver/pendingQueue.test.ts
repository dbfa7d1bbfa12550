import { describe, expect, it } from "vitest";
import { COMPACT_AT, newPendingQueue, pendingLength, pushPending, takePending } from "../../../src/protocol/driver/pendingQueue.js";

describe("driver: the pending queue (pendingQueue.ts)", () => {
  it("pending queue: starts with 0..n-1 and gives them back in order, then -1", () => {
    const q = newPendingQueue(3);
    expect(pendingLength(q)).toBe(3);
    expect([takePending(q), takePending(q), takePending(q), takePending(q)]).toEqual([0, 1, 2, -1]);
    expect(pendingLength(q)).toBe(0);
  });

  it("pending queue: a pushed index goes to the back", () => {
    const q = newPendingQueue(2);
    expect(takePending(q)).toBe(0);
    pushPending(q, 0);
    expect([takePending(q), takePending(q), takePending(q)]).toEqual([1, 0, -1]);
  });

  it("pending queue: an empty take empties the array, and pushes after it still come out in order", () => {
    const q = newPendingQueue(2);
    takePending(q);
    takePending(q);
    expect(takePending(q)).toBe(-1);
    expect(q).toEqual({ items: [], head: 0 });
    pushPending(q, 7);
    pushPending(q, 5);
    expect([takePending(q), takePending(q), takePending(q)]).toEqual([7, 5, -1]);
  });

  it("pending queue: compaction drops the taken entries once they are most of the array, and keeps the order", () => {
    const n = 3 * COMPACT_AT;
    const q = newPendingQueue(n);
    const taken: number[] = [];
    for (let i = 0; i < COMPACT_AT - 1; i++) taken.push(takePending(q));
    // Below COMPACT_AT taken: nothing dropped yet.
    expect(q.items.length).toBe(n);
    for (let i = 0; i < COMPACT_AT; i++) taken.push(takePending(q));
    // 2 x COMPACT_AT - 1 taken of 3 x COMPACT_AT: more than half, so the head was dropped on the way.
    expect(q.items.length).toBeLessThan(n);
    expect(q.head).toBeLessThan(COMPACT_AT);
    expect(pendingLength(q)).toBe(n - taken.length);
    pushPending(q, 0); // index 0 again, at the back
    for (let x = takePending(q); x >= 0; x = takePending(q)) taken.push(x);
    expect(taken).toEqual([...Array.from({ length: n }, (_, i) => i), 0]);
  });

  it("pending queue: no compaction while the taken entries are fewer than the rest", () => {
    const q = newPendingQueue(4 * COMPACT_AT);
    for (let i = 0; i < COMPACT_AT + 10; i++) takePending(q);
    expect(q.items.length).toBe(4 * COMPACT_AT);
    expect(q.head).toBe(COMPACT_AT + 10);
  });
});
