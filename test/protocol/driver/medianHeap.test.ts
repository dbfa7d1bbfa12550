import { describe, expect, it } from "vitest";
import { insertMedian, median, medianHeapSize, newMedianHeap } from "../../../src/protocol/driver/medianHeap.js";

/** The median by sorting: the middle value, or the mean of the two middle ones. */
function sortedMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe("driver: MedianHeap (speculation's successful durations)", () => {
  it("median heap: empty has no median; one value is its own median; two give their mean", () => {
    const h = newMedianHeap();
    expect(median(h)).toBeNaN();
    insertMedian(h, 10);
    expect(median(h)).toBe(10);
    insertMedian(h, 30);
    expect(median(h)).toBe(20);
    expect(medianHeapSize(h)).toBe(2);
  });

  it("median heap: after every insert of many sequences (rising, falling, repeated, scattered) the median is the sorted one", () => {
    let x = 12345;
    const next = (): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % 1000;
    };
    const sequences = [
      Array.from({ length: 50 }, (_, i) => i),
      Array.from({ length: 50 }, (_, i) => 100 - i),
      Array.from({ length: 20 }, () => 7),
      Array.from({ length: 300 }, next),
    ];
    for (const values of sequences) {
      const h = newMedianHeap();
      for (let i = 0; i < values.length; i++) {
        insertMedian(h, values[i]!);
        expect(median(h)).toBe(sortedMedian(values.slice(0, i + 1)));
        expect(Math.abs(h.lower.length - h.upper.length)).toBeLessThanOrEqual(1);
      }
    }
  });
});
