/**
 * Spark's MedianHeap (util/collection/MedianHeap.scala) as plain data: the successful durations of
 * a task set, whose median speculation reads on every check. Two binary heaps in arrays: `lower`
 * (a max-heap) holds the smaller half, `upper` (a min-heap) the larger half, and their sizes differ
 * by at most one. Insert is O(log n), the median O(1); a sorted array would cost O(n) per insert,
 * and a task set may have 100,000 tasks.
 */

export interface MedianHeap {
  /** The smaller half, as a max-heap (lower[0] is its largest). */
  lower: number[];
  /** The larger half, as a min-heap (upper[0] is its smallest). */
  upper: number[];
}

export const newMedianHeap = (): MedianHeap => ({ lower: [], upper: [] });

export const medianHeapSize = (h: MedianHeap): number => h.lower.length + h.upper.length;

/** The median: the middle value, or the mean of the two middle values when the count is even. NaN when empty. */
export function median(h: MedianHeap): number {
  const { lower, upper } = h;
  if (lower.length === 0 && upper.length === 0) return Number.NaN;
  if (lower.length === upper.length) return (lower[0]! + upper[0]!) / 2;
  return lower.length > upper.length ? lower[0]! : upper[0]!;
}

export function insertMedian(h: MedianHeap, value: number): void {
  if (medianHeapSize(h) > 0 && value > median(h)) heapPush(h.upper, value, 1);
  else heapPush(h.lower, value, -1);
  // Rebalance: the halves' sizes differ by at most one.
  if (h.lower.length > h.upper.length + 1) heapPush(h.upper, heapPop(h.lower, -1), 1);
  else if (h.upper.length > h.lower.length + 1) heapPush(h.lower, heapPop(h.upper, 1), -1);
}

/** `sign` 1: a min-heap; -1: a max-heap (a[parent] * sign <= a[child] * sign). */
function heapPush(a: number[], value: number, sign: number): void {
  let i = a.length;
  a.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (a[parent]! * sign <= value * sign) break;
    a[i] = a[parent]!;
    i = parent;
  }
  a[i] = value;
}

function heapPop(a: number[], sign: number): number {
  const top = a[0]!;
  const last = a.pop()!;
  if (a.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= a.length) break;
    const right = left + 1;
    const child = right < a.length && a[right]! * sign < a[left]! * sign ? right : left;
    if (last * sign <= a[child]! * sign) break;
    a[i] = a[child]!;
    i = child;
  }
  a[i] = last;
  return top;
}
