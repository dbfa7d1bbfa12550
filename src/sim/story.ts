/**
 * `flint sim --story ID`: the steps of one node, app, executor, driver or task, and the causes that
 * led to them. A step belongs to the story when it runs on node ID, or when its input or one of its
 * effects names ID as a whole value (a string equal to ID, or a task number in a `taskId` field):
 * `worker-2` never matches `worker-20261206…`. Each such step then pulls in its cause, and that
 * step's cause, back to a step no step caused (a fault, the workload, a node's start), so that the
 * story shows why each of its steps happened, across nodes.
 */
import type { TraceRecord } from "./trace.js";

/** Whether `value` (an input, an effect, or any part of one) names `id` as a whole value. */
export function mentions(value: unknown, id: string, key = ""): boolean {
  if (typeof value === "string") return value === id;
  if (typeof value === "number") return (key === "taskId" || key === "tid") && String(value) === id;
  if (Array.isArray(value)) return value.some((v) => mentions(v, id, key));
  if (typeof value === "object" && value !== null) {
    for (const k of Object.keys(value)) if (mentions((value as Record<string, unknown>)[k], id, k)) return true;
  }
  return false;
}

/** Whether a step is one of ID's own (not only a cause of one). */
export function isStoryStep(r: TraceRecord, id: string): boolean {
  return r.node === id || mentions(r.input, id) || r.effects.some((e) => mentions(e, id));
}

export interface Story {
  /** The story's own steps. */
  own: Set<number>;
  /** Steps shown only because a story step follows from them (its cause, its cause's cause, ...). */
  causes: Set<number>;
}

/** The story of `id` in `records` (in step order, as a run records them). */
export function storyOf(records: readonly TraceRecord[], id: string): Story {
  const byStep = new Map<number, TraceRecord>();
  for (const r of records) byStep.set(r.step, r);
  const own = new Set<number>();
  const causes = new Set<number>();
  for (const r of records) {
    if (!isStoryStep(r, id)) continue;
    own.add(r.step);
    for (let cause = r.cause; cause >= 0 && !own.has(cause) && !causes.has(cause); ) {
      causes.add(cause);
      cause = byStep.get(cause)?.cause ?? -1;
    }
  }
  for (const step of own) causes.delete(step);
  return { own, causes };
}
