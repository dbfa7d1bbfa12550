/**
 * TaskSetManager (§1.8, §4.2 step 3, §4.5, §4.7): one stage attempt's tasks, their attempts, the
 * retry and abort rules. Every task is a ResultTask with no locality preference, so the pending
 * lists collapse into one FIFO queue of indices, and executor loss never re-runs a success.
 * Speculation (spark.speculation, off by default) marks slow tasks on the scheduler's periodic
 * check and gives each at most one extra copy, on another host, once no normal task is pending.
 * Exclusion and barrier stages are not modelled.
 */
import { AssertionError } from "../assert.js";
import { ignored, log, notify } from "../io.js";
import type { ExecutorId, JobId, TaskId } from "../ids.js";
import type { TaskDescription } from "../messages.js";
import { isTaskFinished, type TaskState } from "../states.js";
import { copyPlain } from "../copy.js";
import { sendKillTask } from "./kill.js";
import { removeTaskSet, taskSetIdOf } from "./pool.js";
import {
  bytesToString,
  countsTowardTaskFailures,
  exitCausedByApp,
  failureString,
  lossMessage,
  type ExecutorLossReason,
  type TaskFailedReason,
} from "./reasons.js";
import { addAttempt, attemptSlot, newAttemptTable, removeRunningSlot, type AttemptTable } from "./attempts.js";
import { insertMedian, median, medianHeapSize, newMedianHeap } from "./medianHeap.js";
import { newPendingQueue, pushPending, takePending } from "./pendingQueue.js";
import { queueDagEvent, type DriverStep, type TaskInfo, type TaskSetManagerState } from "./state.js";

/** The allowed moves of a task attempt (STYLE.md rule 10). */
const ATTEMPT_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  LAUNCHING: ["RUNNING", "FINISHED", "FAILED", "KILLED", "LOST"],
  RUNNING: ["FINISHED", "FAILED", "KILLED", "LOST"],
  FINISHED: [],
  FAILED: [],
  KILLED: [],
  LOST: [],
};

function moveAttempt(t: AttemptTable, slot: number, to: TaskState): void {
  const from = t.status[slot]!;
  if (!ATTEMPT_TRANSITIONS[from].includes(to)) throw new AssertionError(`task ${t.base + slot}: illegal move ${from} -> ${to}`);
  t.status[slot] = to;
}

/** One attempt as a TaskInfo (a fresh object, for tests and diagnostics), or undefined when the TID is none of this task set's. */
export function attemptInfo(tsm: TaskSetManagerState, taskId: TaskId): TaskInfo | undefined {
  const t = tsm.attempts;
  const slot = attemptSlot(t, taskId);
  if (slot < 0) return undefined;
  return {
    taskId,
    index: t.index[slot]!,
    attemptNumber: t.attemptNumber[slot]!,
    executorId: t.executorId[slot]!,
    host: t.host[slot]!,
    status: t.status[slot]!,
  };
}

export type FailedAttemptState = "FAILED" | "KILLED" | "LOST";

export function createTaskSetManager(
  jobId: JobId,
  priority: number,
  stageIndex: number,
  payloadData: unknown[],
  payloadSizeBytes: number[],
  cpusPerTask: number,
): TaskSetManagerState {
  const numTasks = payloadData.length;
  if (payloadSizeBytes.length !== numTasks)
    throw new AssertionError(`task set ${taskSetIdOf(jobId, stageIndex)}: ${numTasks} payloads but ${payloadSizeBytes.length} sizes`);
  // Sized once and filled (a builtin fill): growing four 100,000-entry lists by `push` costs several times more.
  const copiesRunning = new Array<number>(numTasks).fill(0);
  const successful = new Array<boolean>(numTasks).fill(false);
  const numFailures = new Array<number>(numTasks).fill(0);
  const lastAttempt = new Array<number>(numTasks).fill(-1);
  return {
    taskSetId: taskSetIdOf(jobId, stageIndex),
    jobId,
    stageIndex,
    priority,
    numTasks,
    cpusPerTask,
    payloadData,
    payloadSizeBytes,
    copiesRunning,
    successful,
    tasksSuccessful: 0,
    numFailures,
    lastAttempt,
    attempts: newAttemptTable(),
    pending: newPendingQueue(numTasks),
    speculatableQueue: [],
    speculatable: {},
    successfulDurationsMs: newMedianHeap(),
    isZombie: false,
    killedByOtherAttempt: {},
    totalResultSizeBytes: 0,
    calculatedTasks: 0,
  };
}

/** dequeueTask: the next pending index that has not succeeded and has no attempt running, or -1. */
function dequeueTask(tsm: TaskSetManagerState): number {
  for (let index = takePending(tsm.pending); index >= 0; index = takePending(tsm.pending))
    if (!tsm.successful[index] && tsm.copiesRunning[index] === 0) return index;
  return -1;
}

/** addPendingTask: a failed index goes to the back of the queue. */
function addPendingTask(tsm: TaskSetManagerState, index: number): void {
  pushPending(tsm.pending, index);
}

/**
 * dequeueTaskFromList for the speculatable list: the first marked index none of whose attempts
 * ever ran on `host` (Spark's hasAttemptOnHost: a copy there would likely be as slow), or -1.
 * A marked index an offer reaches after it succeeded is dropped.
 */
function dequeueSpeculativeTask(tsm: TaskSetManagerState, host: string): number {
  const queue = tsm.speculatableQueue;
  for (let at = 0; at < queue.length; ) {
    const index = queue[at]!;
    if (hasAttemptOnHost(tsm, index, host)) {
      at++;
      continue;
    }
    queue.splice(at, 1);
    delete tsm.speculatable[index];
    if (tsm.successful[index]) continue;
    // Spark also takes a marked index with no copy running; here that cannot be: a failed attempt's
    // index is pending again, and pending indices are dequeued before any speculative one.
    if (tsm.copiesRunning[index] !== 1)
      throw new AssertionError(`task set ${tsm.taskSetId}: speculatable index ${index} has ${tsm.copiesRunning[index]} copies running`);
    return index;
  }
  return -1;
}

/** hasAttemptOnHost: some attempt of the index, running or finished, was offered to `host`. */
function hasAttemptOnHost(tsm: TaskSetManagerState, index: number, host: string): boolean {
  const t = tsm.attempts;
  for (let taskId = tsm.lastAttempt[index]!; taskId >= 0; taskId = t.previous[taskId - t.base]!)
    if (t.host[taskId - t.base] === host) return true;
  return false;
}

/**
 * checkSpeculatableTasks (TaskSetManager, on the scheduler's speculation timer): once
 * speculationQuantile of the tasks have succeeded, an index whose only running attempt has run
 * longer than max(speculationMultiplier x the median successful duration,
 * speculationMinTaskRuntimeMs) is marked speculatable, once. A task set of one task has nothing
 * to compare with and is never speculated. True when some index was marked.
 */
export function checkSpeculatableTasks(d: DriverStep, tsm: TaskSetManagerState): boolean {
  if (tsm.isZombie || tsm.numTasks === 1) return false;
  const p = d.s.protocol;
  const minFinished = Math.max(Math.floor(p.speculationQuantile * tsm.numTasks), 1);
  if (medianHeapSize(tsm.successfulDurationsMs) < minFinished) return false;
  const thresholdMs = Math.max(p.speculationMultiplier * median(tsm.successfulDurationsMs), p.speculationMinTaskRuntimeMs);
  const t = tsm.attempts;
  let found = false;
  for (let slot = 0, seen = 0; seen < t.runningCount && slot < t.running.length; slot++) {
    if (!t.running[slot]) continue;
    seen++;
    const index = t.index[slot]!;
    if (tsm.successful[index] || tsm.copiesRunning[index] !== 1 || tsm.speculatable[index] === true) continue;
    const runningMs = d.now - t.launchTimeMs[slot]!;
    if (runningMs <= thresholdMs) continue;
    tsm.speculatable[index] = true;
    tsm.speculatableQueue.push(index);
    d.fx.push(log("info", "taskSpeculatable", { taskSetId: tsm.taskSetId, index, taskId: t.base + slot, runningMs, thresholdMs }));
    found = true;
  }
  return found;
}

/**
 * resourceOffer + prepareLaunchingTask: at most one task for this offer, with a fresh TID and a
 * fresh TaskDescription (its payload copied out of the state). Null when nothing can launch.
 */
export function resourceOffer(d: DriverStep, tsm: TaskSetManagerState, executorId: ExecutorId, host: string): TaskDescription | null {
  if (tsm.isZombie) return null;
  let index = dequeueTask(tsm);
  // A speculative copy only once no normal task is pending (Spark's dequeueTask order).
  const speculative = index < 0 && tsm.speculatableQueue.length > 0;
  if (speculative) index = dequeueSpeculativeTask(tsm, host);
  if (index < 0) return null;
  const taskId = d.s.scheduler.nextTaskId++;
  tsm.copiesRunning[index]! += 1;
  const t = tsm.attempts;
  const previous = tsm.lastAttempt[index]!;
  const attemptNumber = previous < 0 ? 0 : t.attemptNumber[previous - t.base]! + 1;
  addAttempt(t, taskId, index, attemptNumber, executorId, host, previous, d.now);
  tsm.lastAttempt[index] = taskId;
  if (speculative) d.fx.push(log("info", "speculativeTaskLaunched", { taskSetId: tsm.taskSetId, index, taskId, executorId, host }));
  return {
    taskId,
    attemptNumber,
    executorId,
    taskSetId: tsm.taskSetId,
    index,
    cpus: tsm.cpusPerTask,
    payload: { data: copyPlain(tsm.payloadData[index]), sizeBytes: tsm.payloadSizeBytes[index]! },
  };
}

/** TaskInfo.launchSucceeded for the attempt in `slot`: the first RUNNING update ends the launching phase (§4.7's 3.x rule). */
export function launchSucceeded(tsm: TaskSetManagerState, slot: number): void {
  if (tsm.attempts.status[slot] === "LAUNCHING") moveAttempt(tsm.attempts, slot, "RUNNING");
}

/** canFetchMoreResults: false (and the task set aborted) once the results outgrow maxResultSizeBytes. */
export function canFetchMoreResults(d: DriverStep, tsm: TaskSetManagerState, sizeBytes: number): boolean {
  tsm.totalResultSizeBytes += sizeBytes;
  tsm.calculatedTasks += 1;
  const maxBytes = d.s.protocol.maxResultSizeBytes;
  if (maxBytes > 0 && tsm.totalResultSizeBytes > maxBytes) {
    abort(
      d,
      tsm,
      `Total size of serialized results of ${tsm.calculatedTasks} tasks (${bytesToString(tsm.totalResultSizeBytes)}) ` +
        `is bigger than spark.driver.maxResultSize (${bytesToString(maxBytes)})`,
    );
    return false;
  }
  return true;
}

function attemptFinishedAlready(d: DriverStep, t: AttemptTable, slot: number, state: TaskState): boolean {
  const status = t.status[slot]!;
  if (!isTaskFinished(status)) return false;
  // SPARK-37300: a second end of the same attempt (e.g. its executor was lost first) changes nothing.
  d.fx.push(ignored("attempt-already-finished", { taskId: t.base + slot, status, state }));
  return true;
}

/** The slot of an attempt that must be this task set's. */
function slotOf(tsm: TaskSetManagerState, taskId: TaskId): number {
  const slot = attemptSlot(tsm.attempts, taskId);
  if (slot < 0) throw new AssertionError(`task ${taskId} is not an attempt of task set ${tsm.taskSetId}`);
  return slot;
}

/** handleSuccessfulTask (§4.5, 3.x). `value` is already a copy owned by the driver. */
export function handleSuccessfulTask(d: DriverStep, tsm: TaskSetManagerState, taskId: TaskId, value: unknown): void {
  const t = tsm.attempts;
  const slot = slotOf(tsm, taskId);
  if (attemptFinishedAlready(d, t, slot, "FINISHED")) return;
  const index = t.index[slot]!;
  if (tsm.successful[index] && tsm.killedByOtherAttempt[taskId] === true) {
    handleFailedTask(d, tsm, taskId, "KILLED", {
      kind: "TaskKilled",
      reason: "Finish but did not commit due to another attempt succeeded",
    });
    return;
  }
  moveAttempt(t, slot, "FINISHED");
  removeRunningSlot(t, slot);
  if (d.s.protocol.speculation) insertMedian(tsm.successfulDurationsMs, d.now - t.launchTimeMs[slot]!);
  d.fx.push(notify({ kind: "taskEnded", jobId: tsm.jobId, taskId, index, state: "FINISHED" }));
  if (tsm.lastAttempt[index] !== taskId || t.previous[slot]! >= 0) killOtherAttempts(d, tsm, index, taskId);
  if (!tsm.successful[index]) {
    tsm.successful[index] = true;
    tsm.tasksSuccessful += 1;
    tsm.numFailures[index] = 0;
    if (tsm.tasksSuccessful === tsm.numTasks) tsm.isZombie = true;
    queueDagEvent(d, {
      kind: "taskSucceeded",
      jobId: tsm.jobId,
      stageIndex: tsm.stageIndex,
      index,
      value,
      stageDone: tsm.tasksSuccessful === tsm.numTasks,
    });
  } else {
    d.fx.push(log("info", "duplicateTaskSuccess", { taskSetId: tsm.taskSetId, index, taskId }));
  }
  maybeFinishTaskSet(d, tsm);
}

/** Every other attempt of the index still running is asked to stop, oldest first (Spark's taskAttempts order). */
function killOtherAttempts(d: DriverStep, tsm: TaskSetManagerState, index: number, taskId: TaskId): void {
  const t = tsm.attempts;
  const newestFirst: number[] = [];
  for (let otherId = tsm.lastAttempt[index]!; otherId >= 0; otherId = t.previous[otherId - t.base]!) newestFirst.push(otherId);
  for (let i = newestFirst.length - 1; i >= 0; i--) {
    const otherId = newestFirst[i]!;
    const other = otherId - t.base;
    if (otherId === taskId || isTaskFinished(t.status[other]!)) continue;
    tsm.killedByOtherAttempt[otherId] = true;
    sendKillTask(d, otherId, t.executorId[other]!, true, "another attempt succeeded");
  }
}

/** handleFailedTask (§4.5): classify, count, abort at taskMaxFailures, else requeue. */
export function handleFailedTask(
  d: DriverStep,
  tsm: TaskSetManagerState,
  taskId: TaskId,
  state: FailedAttemptState,
  reason: TaskFailedReason,
): void {
  const t = tsm.attempts;
  const slot = slotOf(tsm, taskId);
  if (attemptFinishedAlready(d, t, slot, state)) return;
  removeRunningSlot(t, slot);
  moveAttempt(t, slot, state);
  const index = t.index[slot]!;
  tsm.copiesRunning[index]! -= 1;
  const errorString = failureString(reason);
  d.fx.push(notify({ kind: "taskEnded", jobId: tsm.jobId, taskId, index, state, reason: errorString }));
  const attemptName = `${index}.${t.attemptNumber[slot]} in stage ${tsm.taskSetId} (TID ${taskId})`;
  const failureReason = `Lost task ${attemptName} (${t.host[slot]} executor ${t.executorId[slot]}): ${errorString}`;
  d.fx.push(log(reason.kind === "TaskKilled" ? "info" : "warn", "taskFailed", { taskSetId: tsm.taskSetId, taskId, reason: failureReason }));
  if (reason.kind === "ExceptionFailure" && reason.notSerializable) {
    // Re-running cannot make a result serializable.
    abort(d, tsm, `task ${attemptName} had a not serializable result: ${reason.message}`);
    return;
  }
  // flint: an attempt asked to stop because another one of its index succeeded never counts (Spark
  // counts its executor's loss, which at taskMaxFailures 1 aborts a stage whose index succeeded).
  if (!tsm.isZombie && tsm.killedByOtherAttempt[taskId] !== true && countsTowardTaskFailures(reason)) {
    const failures = (tsm.numFailures[index]! += 1);
    if (failures >= d.s.protocol.taskMaxFailures) {
      abort(d, tsm, `Task ${index} in stage ${tsm.taskSetId} failed ${failures} times, most recent failure: ${failureReason}`);
      return;
    }
  }
  if (!tsm.successful[index] && !tsm.isZombie) addPendingTask(tsm, index);
  maybeFinishTaskSet(d, tsm);
}

/** abort: the DAG scheduler fails the job; running attempts are killed by the job's cancellation, not here. */
export function abort(d: DriverStep, tsm: TaskSetManagerState, message: string): void {
  d.fx.push(log("error", "taskSetAborted", { taskSetId: tsm.taskSetId, reason: message }));
  queueDagEvent(d, { kind: "taskSetFailed", jobId: tsm.jobId, stageIndex: tsm.stageIndex, reason: message });
  tsm.isZombie = true;
  maybeFinishTaskSet(d, tsm);
}

/** A cancelled stage's task set (cancelTasks' abort, whose failure the DAG scheduler already knows). */
export function markCancelled(d: DriverStep, tsm: TaskSetManagerState): void {
  tsm.isZombie = true;
  maybeFinishTaskSet(d, tsm);
}

/**
 * TaskSetManager.executorLost for the given TIDs (those that ran on the lost executor): each one
 * still running fails with ExecutorLostFailure. No success is re-run: there are no shuffle outputs.
 */
export function executorLost(
  d: DriverStep,
  tsm: TaskSetManagerState,
  executorId: ExecutorId,
  reason: ExecutorLossReason,
  taskIds: readonly TaskId[],
): void {
  const t = tsm.attempts;
  for (const taskId of taskIds) {
    const slot = slotOf(tsm, taskId);
    const status = t.status[slot]!;
    if (isTaskFinished(status) || t.executorId[slot] !== executorId) continue;
    handleFailedTask(d, tsm, taskId, "FAILED", {
      kind: "ExecutorLostFailure",
      executorId,
      exitCausedByApp: exitCausedByApp(reason, status === "LAUNCHING"),
      reason: lossMessage(reason),
    });
  }
}

/**
 * maybeFinishTaskSet: a zombie with nothing running leaves the pool. It may already have left it
 * (a result-size abort removes it before its last attempt is marked failed), as Spark allows.
 */
export function maybeFinishTaskSet(d: DriverStep, tsm: TaskSetManagerState): void {
  if (!tsm.isZombie || tsm.attempts.runningCount !== 0) return;
  if (d.s.scheduler.taskSets[tsm.taskSetId] !== undefined) removeTaskSet(d.s.scheduler, tsm.taskSetId);
}
