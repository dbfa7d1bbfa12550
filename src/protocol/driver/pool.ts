/**
 * The FIFO pool (Spark's rootPool in FIFO mode): task sets sorted by job priority, then stage.
 * flint has no FAIR pools. The pool is small (one active task set per running job, plus zombies
 * that still have attempts running), so sorted insertion by a linear scan is cheap.
 */
import { AssertionError } from "../assert.js";
import type { JobId } from "../ids.js";
import type { SchedulerState, TaskSetManagerState } from "./state.js";

/** The id of a job's stage attempt: `<jobId>.<stageIndex>.0` (flint never retries a stage). */
export const taskSetIdOf = (jobId: JobId, stageIndex: number): string => `${jobId}.${stageIndex}.0`;

export function addTaskSet(sched: SchedulerState, tsm: TaskSetManagerState): void {
  if (sched.taskSets[tsm.taskSetId] !== undefined) throw new AssertionError(`task set ${tsm.taskSetId} submitted twice`);
  sched.taskSets[tsm.taskSetId] = tsm;
  let at = sched.pool.length;
  while (at > 0) {
    const before = sched.taskSets[sched.pool[at - 1]!]!;
    if (before.priority < tsm.priority || (before.priority === tsm.priority && before.stageIndex < tsm.stageIndex)) break;
    at--;
  }
  sched.pool.splice(at, 0, tsm.taskSetId);
}

/** Spark's taskSetFinished: the task set leaves the pool. */
export function removeTaskSet(sched: SchedulerState, taskSetId: string): void {
  const at = sched.pool.indexOf(taskSetId);
  if (at < 0 || sched.taskSets[taskSetId] === undefined) throw new AssertionError(`task set ${taskSetId} is not in the pool`);
  sched.pool.splice(at, 1);
  delete sched.taskSets[taskSetId];
}
