import { describe, expect, it } from "vitest";
import { EventHeap } from "../../src/sim/heap.js";
import { EventQueue, WHEEL_MS } from "../../src/sim/queue.js";
import { stream } from "../../src/sim/rng.js";

interface Ev {
  time: number;
  seq: number;
}

/** Drives a queue and a heap with the same pushes (never before the last event taken) and pops. */
function sameOrder(seed: number, spanMs: number, pushes: number): void {
  const rng = stream(seed, "queue-test");
  const queue = new EventQueue<Ev>();
  const heap = new EventHeap<Ev>();
  let seq = 0;
  let now = 0;
  const push = (time: number): void => {
    const e = { time, seq: seq++ };
    queue.push(e);
    heap.push({ ...e });
  };
  for (let i = 0; i < 200; i++) push(rng.int(0, spanMs));
  let popped = 0;
  while (heap.size > 0) {
    expect(queue.size).toBe(heap.size);
    expect(queue.peek()).toEqual(heap.peek());
    const a = queue.pop()!;
    const b = heap.pop()!;
    expect(a).toEqual(b);
    now = a.time;
    popped++;
    if (seq < pushes) {
      // Same-time pushes, near ones, and far ones beyond the wheel.
      const n = rng.int(0, 2);
      for (let i = 0; i < n; i++)
        push(now + (rng.chance(0.2) ? 0 : rng.chance(0.1) ? rng.int(WHEEL_MS - 5, 3 * WHEEL_MS) : rng.int(0, spanMs)));
    }
  }
  expect(queue.pop()).toBeUndefined();
  expect(queue.size).toBe(0);
  expect(popped).toBe(seq);
}

describe("sim event queue (timing wheel)", () => {
  it("queue: pops in (time, seq) order, exactly as the binary heap does, with near, same-time and far events", () => {
    sameOrder(1, 50, 20_000);
    sameOrder(2, 5_000, 20_000);
    sameOrder(3, 200_000, 5_000);
  });

  it("queue: an event beyond the wheel lands ahead of later pushes at its time", () => {
    const q = new EventQueue<Ev & { tag: string }>();
    const far = WHEEL_MS + 10;
    q.push({ time: far, seq: 0, tag: "far-first" });
    q.push({ time: 5, seq: 1, tag: "near" });
    expect(q.pop()!.tag).toBe("near");
    q.push({ time: 20, seq: 2, tag: "later" });
    expect(q.pop()!.tag).toBe("later");
    // The span now covers `far`: a new push at that time must come after the older event.
    q.push({ time: far, seq: 3, tag: "far-second" });
    expect([q.pop()!.tag, q.pop()!.tag]).toEqual(["far-first", "far-second"]);
    expect(q.pop()).toBeUndefined();
  });

  it("queue: peeking does not move time on, and a push before the last event taken is refused", () => {
    const q = new EventQueue<Ev>();
    q.push({ time: 100, seq: 0 });
    expect(q.peek()!.time).toBe(100);
    q.push({ time: 40, seq: 1 });
    expect(q.pop()!.time).toBe(40);
    expect(() => q.push({ time: 39, seq: 2 })).toThrow(/pushed after/);
    expect(q.pop()!.time).toBe(100);
  });

  it("queue: popDue takes the next event only when it is due by the limit, in the wheel and beyond it", () => {
    const q = new EventQueue<Ev>();
    expect(q.popDue(1_000)).toBeUndefined();
    q.push({ time: 100, seq: 0 });
    q.push({ time: 3 * WHEEL_MS, seq: 1 });
    expect(q.popDue(99)).toBeUndefined();
    expect(q.size).toBe(2);
    expect(q.popDue(100)).toEqual({ time: 100, seq: 0 });
    expect(q.popDue(3 * WHEEL_MS - 1)).toBeUndefined();
    expect(q.popDue(3 * WHEEL_MS)).toEqual({ time: 3 * WHEEL_MS, seq: 1 });
    expect(q.size).toBe(0);
  });
});
