/** What may travel as a task's input or result (src/real/tasks/serializable.ts): refused by path, never changed silently. */
import { describe, expect, it } from "vitest";
import { notSerializable } from "../../src/real/tasks/serializable.js";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("notSerializable", () => {
  it("plain JSON data travels: null, booleans, strings, finite numbers, arrays and plain objects, nested", () => {
    for (const value of [
      null,
      true,
      "é✓",
      0,
      -1.5,
      1e308,
      [],
      {},
      [1, "a", null, [true]],
      { a: { b: [1, { c: "d" }] } },
      Object.assign(Object.create(null) as object, { k: 1 }),
    ]) {
      expect(notSerializable(value, "inputs"), JSON.stringify(value)).toBeUndefined();
    }
    // The same object twice (not a cycle) is fine: JSON writes it twice.
    const shared = { s: 1 };
    expect(notSerializable({ a: shared, b: shared }, "x")).toBeUndefined();
    // A property whose value is undefined is left out, and reads as undefined on both sides.
    expect(notSerializable({ a: undefined, b: 1 }, "x")).toBeUndefined();
  });

  it.each([
    [[() => 1], "inputs[0]: a function is not serializable"],
    [[1, { f() {} }], "inputs[1].f: a function is not serializable"],
    [[new Map()], "inputs[0]: a Map is not serializable"],
    [[{ s: new Set([1]) }], "inputs[0].s: a Set is not serializable"],
    [[NaN], "inputs[0]: NaN is not serializable"],
    [[{ "a b": [Infinity] }], 'inputs[0]["a b"][0]: Infinity is not serializable'],
    [[undefined], "inputs[0]: undefined is not serializable"],
    [[[1, undefined]], "inputs[0][1]: undefined is not serializable"],
    [[new Date(0)], "inputs[0]: a Date is not serializable"],
    [[10n], "inputs[0]: a BigInt is not serializable"],
    [[Symbol("s")], "inputs[0]: a symbol is not serializable"],
    [[new Point(1, 2)], "inputs[0]: an instance of Point is not serializable"],
    [[new Error("e")], "inputs[0]: an Error is not serializable"],
    [[new Uint8Array(2)], "inputs[0]: a Uint8Array is not serializable"],
    [[/x/], "inputs[0]: a RegExp is not serializable"],
    [[{ toJSON: () => "x" }], "inputs[0].toJSON: a function is not serializable"],
  ])("refuses %o: %s", (value, message) => {
    expect(notSerializable(value, "inputs")).toBe(message);
  });

  it("refuses holes and cycles, by path", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is what the test is about
    expect(notSerializable([1, , 3], "inputs")).toBe("inputs[1]: an empty array slot is not serializable");
    const cyclic: { self?: unknown; list: unknown[] } = { list: [] };
    cyclic.list.push(cyclic);
    expect(notSerializable({ top: cyclic }, "result")).toBe("result.top.list[0]: a circular reference is not serializable");
  });

  it("a value itself is named by the root", () => {
    expect(notSerializable(new Map(), "result")).toBe("result: a Map is not serializable");
    expect(notSerializable(undefined, "result")).toBe("result: undefined is not serializable");
  });
});
