/**
 * A task set's attempts (Spark's taskInfos and runningTasksSet) as parallel arrays over a window
 * of TIDs: slot `i` holds what is known of TID `base + i`.
 *
 * Why not one TaskInfo object per attempt: a task set keeps every attempt for its whole life, so
 * each object outlives the young generation and is copied, promoted and later marked by the
 * garbage collector (measured: the largest single cost of a driver step). An attempt here is a
 * few array stores of numbers and of strings the state already holds, and the data stays plain
 * JSON (immer and structuredClone handle it).
 *
 * A task set's TIDs are handed out in increasing order (the scheduler's nextTaskId), so the
 * window only grows at its end. TIDs of other task sets launched meanwhile leave empty slots
 * (`index` -1). Nothing is ever removed: the table goes when its task set leaves the pool.
 * Bound: one slot per TID the driver launched from the set's first attempt to its last.
 */
import { AssertionError } from "../assert.js";
import type { ExecutorId, TaskId } from "../ids.js";
import type { TaskState } from "../states.js";

export interface AttemptTable {
  /** The TID of slot 0: the task set's first attempt (0 while it has none). */
  base: number;
  /** index[slot]: the task index the attempt runs, or -1 when that TID is no attempt of this task set. */
  index: number[];
  /** attemptNumber[slot]: how many attempts of the index came before this one (-1 in an empty slot). */
  attemptNumber: number[];
  /** executorId[slot]: the executor it was offered to; it never moves (I19). "" in an empty slot. */
  executorId: ExecutorId[];
  /** host[slot]: that executor's host, kept for failure messages after the executor is gone. "" in an empty slot. */
  host: string[];
  /** status[slot]: LAUNCHING until the first RUNNING update, then RUNNING, then one finished state; null in an empty slot. */
  status: Array<TaskState | null>;
  /** previous[slot]: the TID of the index's attempt before this one, or -1 (with the set's `lastAttempt`: the attempts of an index). */
  previous: number[];
  /** running[slot]: the TID is in runningTasksSet (true from launch until removeRunningTask). */
  running: boolean[];
  /** launchTimeMs[slot]: ctx.now when the attempt was offered (TaskInfo.launchTime; speculation reads it). -1 in an empty slot. */
  launchTimeMs: number[];
  /** Number of attempts held (slots whose index is not -1). */
  size: number;
  /** Number of slots with `running` true: Spark's runningTasks. */
  runningCount: number;
}

export function newAttemptTable(): AttemptTable {
  return {
    base: 0,
    index: [],
    attemptNumber: [],
    executorId: [],
    host: [],
    status: [],
    previous: [],
    running: [],
    launchTimeMs: [],
    size: 0,
    runningCount: 0,
  };
}

/** The slot of TID `taskId` when it is an attempt of this table, else -1. */
export function attemptSlot(t: AttemptTable, taskId: number): number {
  const slot = taskId - t.base;
  if (slot < 0 || slot >= t.index.length || t.index[slot]! < 0) return -1;
  return slot;
}

/** Records a new attempt, in the running set; its TID must be above every TID held. */
export function addAttempt(
  t: AttemptTable,
  taskId: TaskId,
  index: number,
  attemptNumber: number,
  executorId: ExecutorId,
  host: string,
  previous: number,
  launchTimeMs: number,
): void {
  if (t.index.length === 0) t.base = taskId;
  const slot = taskId - t.base;
  if (!Number.isSafeInteger(taskId) || slot < t.index.length)
    throw new AssertionError(`TID ${taskId} is not above every attempt of its task set`);
  while (t.index.length < slot) {
    t.index.push(-1);
    t.attemptNumber.push(-1);
    t.executorId.push("" as ExecutorId);
    t.host.push("");
    t.status.push(null);
    t.previous.push(-1);
    t.running.push(false);
    t.launchTimeMs.push(-1);
  }
  t.index.push(index);
  t.attemptNumber.push(attemptNumber);
  t.executorId.push(executorId);
  t.host.push(host);
  t.status.push("LAUNCHING");
  t.previous.push(previous);
  t.running.push(true);
  t.launchTimeMs.push(launchTimeMs);
  t.size += 1;
  t.runningCount += 1;
}

/** removeRunningTask: the TID leaves the running set (a no-op when it is not there). */
export function removeRunningSlot(t: AttemptTable, slot: number): void {
  if (slot < 0 || !t.running[slot]) return;
  t.running[slot] = false;
  t.runningCount -= 1;
}

/** The TIDs in the running set, ascending. */
export function runningTaskIds(t: AttemptTable): TaskId[] {
  const out: TaskId[] = [];
  if (t.runningCount === 0) return out;
  for (let slot = 0; slot < t.running.length; slot++) if (t.running[slot]) out.push(t.base + slot);
  return out;
}
