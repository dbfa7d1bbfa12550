import { describe, expect, it } from "vitest";
import { StampedFifo } from "../../src/sim/invariants/fifo.js";
import { stream } from "../../src/sim/rng.js";

describe("invariants: I28 on send stamps", () => {
  it("invariants: I28 on stamps allows gaps and a repeat of the message processed last, and fails a message overtaken by a later one", () => {
    const fifo = new StampedFifo();
    expect(fifo.processed(0, 2)).toBe(true); // stamp 1 was lost: a gap
    expect(fifo.processed(0, 2)).toBe(true); // a duplicated delivery
    expect(fifo.processed(0, 1)).toBe(false); // 1 arrives after 2
    expect(fifo.processed(0, 3)).toBe(true);
    expect(fifo.processed(0, 2)).toBe(false); // a repeat of an older message is not a duplicate of the last
    expect(fifo.processed(5, 1)).toBe(true); // pairs are independent (a far pair id grows the table)
    expect(fifo.processed(3, 7)).toBe(true);
    expect(fifo.processed(3, 6)).toBe(false);
  });

  it("invariants: I28 on stamps agrees with the rule on message queues for random delivery orders", () => {
    const r = stream(11, "fifo-stamps");
    for (let round = 0; round < 200; round++) {
      const fifo = new StampedFifo();
      const n = r.int(1, 12);
      // Deliveries: each stamp maybe dropped, maybe repeated, in a slightly shuffled order.
      const deliveries: number[] = [];
      for (let s = 1; s <= n; s++) {
        if (r.chance(0.2)) continue;
        deliveries.push(s);
        if (r.chance(0.2)) deliveries.push(s);
      }
      for (let i = 0; i + 1 < deliveries.length; i++) {
        if (r.chance(0.15)) [deliveries[i], deliveries[i + 1]] = [deliveries[i + 1]!, deliveries[i]!];
      }
      // The queue rule: a message is in order when still queued (then it and everything before it
      // leave) or when it is the one processed last.
      let queue = Array.from({ length: n }, (_, i) => i + 1);
      let last = 0;
      for (const s of deliveries) {
        const at = queue.indexOf(s);
        const expected = s === last || at >= 0;
        if (at >= 0) {
          queue = queue.slice(at + 1);
          last = s;
        }
        expect(fifo.processed(0, s)).toBe(expected);
      }
    }
  });
});
