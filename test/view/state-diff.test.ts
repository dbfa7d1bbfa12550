/** The state changes a capture records replay to the live state, whatever a step did to it. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChanges, copyPlain, StateTracker } from "../../src/view/state-diff.js";

const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.boolean(),
    fc.constant(null),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tie("value"), { maxKeys: 4 }),
})).object;

describe("state changes", () => {
  it("state-diff: replaying each step's changes onto the last state gives the live state", () => {
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 6 }), (states) => {
        const tracker = new StateTracker();
        let replayed: unknown;
        for (const s of states) {
          replayed = applyChanges(replayed, tracker.changes(s));
          expect(replayed).toEqual(copyPlain(s));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("state-diff: a step records only the fields it changed (removals too)", () => {
    const t = new StateTracker();
    const live: Record<string, unknown> = { a: 1, b: { c: [1, 2, 3], d: "x" }, e: { f: 1 } };
    expect(t.changes(live)).toEqual([[[], copyPlain(live)]]);
    (live.b as { c: number[] }).c.pop();
    (live.b as { d: string }).d = "y";
    delete live.e;
    expect(t.changes(live)).toEqual([[["b", "c", 2]], [["b", "d"], "y"], [["e"]]]);
    expect(t.changes(live)).toEqual([]);
  });
});
