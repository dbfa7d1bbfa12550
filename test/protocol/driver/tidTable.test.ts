import { describe, expect, it } from "vitest";
import { produce, setAutoFreeze } from "immer";
import {
  newTidTable,
  tidDelete,
  tidGet,
  tidHas,
  tidKeys,
  tidSet,
  TID_TABLE_TRIM_AT,
  type TidTable,
} from "../../../src/protocol/driver/tidTable.js";
import { nextFloat } from "../../../src/protocol/random.js";

/** The table's own rules: the counted size is what it holds, and nothing sits before the head. */
function checkTable<T>(t: TidTable<T>): void {
  expect(t.slots.filter((v) => v !== null)).toHaveLength(t.size);
  for (let i = 0; i < t.head; i++) expect(t.slots[i]).toBeNull();
  if (t.size > 0) expect(t.slots[t.head]).not.toBeNull();
}

describe("driver: TID table (taskIdToTaskSetManager)", () => {
  it("TID table: set, get, has and delete behave as a record keyed by TID", () => {
    const t = newTidTable<string>();
    tidSet(t, 5, "a");
    tidSet(t, 6, "b");
    tidSet(t, 9, "c");
    expect([tidGet(t, 5), tidGet(t, 6), tidGet(t, 7), tidGet(t, 9), tidGet(t, 4), tidGet(t, 100)]).toEqual([
      "a",
      "b",
      undefined,
      "c",
      undefined,
      undefined,
    ]);
    expect(tidHas(t, 6)).toBe(true);
    expect(tidKeys(t)).toEqual([5, 6, 9]);
    tidDelete(t, 6);
    tidDelete(t, 6);
    tidDelete(t, 42);
    expect(tidKeys(t)).toEqual([5, 9]);
    tidSet(t, 9, "c2");
    expect(tidGet(t, 9)).toBe("c2");
    expect(t.size).toBe(2);
    checkTable(t);
  });

  it("TID table: an emptied table starts its window again at the next TID", () => {
    const t = newTidTable<number>();
    tidSet(t, 1_000_000, 1);
    tidDelete(t, 1_000_000);
    expect(t.slots).toEqual([]);
    tidSet(t, 2_000_000, 2);
    expect(t.slots).toEqual([2]);
    expect(t.base).toBe(2_000_000);
    expect(tidKeys(t)).toEqual([2_000_000]);
  });

  it("TID table: a TID below the window grows it at the front", () => {
    const t = newTidTable<string>();
    tidSet(t, 10, "x");
    tidSet(t, 7, "y");
    expect(tidKeys(t)).toEqual([7, 10]);
    expect([tidGet(t, 7), tidGet(t, 8), tidGet(t, 10)]).toEqual(["y", undefined, "x"]);
    checkTable(t);
  });

  it("TID table: leading empty slots are trimmed, so a sliding window of TIDs stays small", () => {
    const t = newTidTable<string>();
    const window = 400;
    for (let tid = 0; tid < 50_000; tid++) {
      tidSet(t, tid, "ts");
      if (tid >= window) tidDelete(t, tid - window);
    }
    expect(t.size).toBe(window);
    expect(t.slots.length).toBeLessThanOrEqual(2 * (TID_TABLE_TRIM_AT + window));
    expect(tidKeys(t)).toEqual(Array.from({ length: window }, (_, i) => 50_000 - window + i));
    checkTable(t);
  });

  it("TID table: matches a Map under random launches and out-of-order cleanups", () => {
    const t = newTidTable<number>();
    const model = new Map<number, number>();
    const rng = { rng: 12345 };
    let next = 0;
    for (let i = 0; i < 20_000; i++) {
      const live = [...model.keys()];
      if (live.length === 0 || nextFloat(rng) < 0.52) {
        tidSet(t, next, next * 3);
        model.set(next, next * 3);
        next += 1 + (nextFloat(rng) < 0.1 ? 5 : 0);
      } else {
        // Mostly old ones first, with stragglers.
        const pick = live[Math.floor(nextFloat(rng) ** 3 * live.length)]!;
        tidDelete(t, pick);
        model.delete(pick);
      }
      if (i % 997 === 0) checkTable(t);
    }
    expect(tidKeys(t)).toEqual([...model.keys()].sort((a, b) => a - b));
    for (let tid = 0; tid < next + 3; tid++) expect(tidGet(t, tid)).toBe(model.get(tid));
    checkTable(t);
  });

  it("TID table: works on an immer draft (plain data)", () => {
    setAutoFreeze(true);
    const t0 = newTidTable<string>();
    const t1 = produce(t0, (d) => {
      tidSet(d, 3, "a");
      tidSet(d, 4, "b");
    });
    const t2 = produce(t1, (d) => tidDelete(d, 3));
    expect(tidKeys(t0)).toEqual([]);
    expect(tidKeys(t1)).toEqual([3, 4]);
    expect(tidKeys(t2)).toEqual([4]);
    expect(structuredClone(t2)).toEqual(t2);
  });
});
