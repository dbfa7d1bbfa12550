/**
 * The checks' compact per-TID bookkeeping (src/sim/invariants/dense.ts) answers exactly as the
 * Map and Set it replaced, for dense TIDs and for the odd ones a buggy role could make.
 */
import { describe, expect, it } from "vitest";
import { IntFlags, TidLedger } from "../../src/sim/invariants/dense.js";
import { stream } from "../../src/sim/rng.js";

/** Keys mostly dense and growing, with odd ones mixed in: negative, fractional, far beyond, then covered by growth. */
function keyOf(r: ReturnType<typeof stream>, i: number): number {
  const odd = r.int(0, 19);
  if (odd === 0) return -r.int(1, 5);
  if (odd === 1) return i + 0.5;
  if (odd === 2) return 5_000_000 + r.int(0, 3);
  if (odd === 3) return 70_000 + r.int(0, 10); // far beyond the first range: sparse until the range grows past it
  return r.int(0, 5 * i + 1);
}

describe("sim checks: dense per-TID bookkeeping", () => {
  it("dense: TidLedger answers as a Map of launches and a Set of finished TIDs", () => {
    const r = stream(11, "dense-tids");
    const ledger = new TidLedger();
    const launched = new Map<number, { taskSetId: string; index: number; executorId: string }>();
    const finished = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const taskId = keyOf(r, i);
      if (r.chance(0.6)) {
        const entry = {
          taskSetId: `job-${r.int(0, 3)}.0.0`,
          index: r.chance(0.05) ? -r.int(1, 9) : r.int(0, 100_000),
          executorId: String(r.int(1, 50)),
        };
        ledger.launch(taskId, entry.taskSetId, entry.index, entry.executorId);
        launched.set(taskId, entry);
      } else {
        ledger.finish(taskId);
        finished.add(taskId);
      }
      const probe = keyOf(r, i);
      for (const t of [taskId, probe]) {
        const want = launched.get(t);
        expect(ledger.launched(t)).toBe(want !== undefined);
        expect(ledger.finished(t)).toBe(finished.has(t));
        expect(ledger.taskSetOf(t)).toBe(want?.taskSetId);
        expect(ledger.executorOf(t)).toBe(want?.executorId);
        if (want !== undefined) expect(ledger.indexOf(t)).toBe(want.index);
      }
    }
    // The range grew past the keys near 70,000 that started sparse: each is still answered.
    for (let t = 70_000; t <= 70_010; t++) {
      expect(ledger.launched(t)).toBe(launched.has(t));
      expect(ledger.finished(t)).toBe(finished.has(t));
      expect(ledger.taskSetOf(t)).toBe(launched.get(t)?.taskSetId);
    }
  });

  it("dense: IntFlags answers as a Set", () => {
    const r = stream(12, "dense-flags");
    const flags = new IntFlags();
    const set = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const key = keyOf(r, i);
      flags.add(key);
      set.add(key);
      const probe = keyOf(r, i);
      expect(flags.has(key)).toBe(true);
      expect(flags.has(probe)).toBe(set.has(probe));
    }
    for (let k = 70_000; k <= 70_010; k++) expect(flags.has(k)).toBe(set.has(k));
  });
});
