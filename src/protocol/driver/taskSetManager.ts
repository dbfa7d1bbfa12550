/**
 * TaskSetManager (§1.8, §4.2 step 3, §4.5, §4.7): one stage attempt's tasks, their attempts, the
 * retry and abort rules. Every task is a ResultTask with no locality preference, so the pending
 * lists collapse into one FIFO queue of indices, and executor loss never re-runs a success.
 * Speculation, exclusion and barrier stages are not modelled.
 */
import { AssertionError } from "../assert.js";
import { ignored, log, notify } from "../io.js";
import type { ExecutorId, JobId, TaskId } from "../ids.js";
import type { TaskDescription, TaskPayload } from "../messages.js";
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
import { queueDagEvent, type DriverStep, type TaskInfo, type TaskSetManagerState } from "./state.js";
import { newTidTable, tidDelete, tidGet, tidHas, tidSet } from "./tidTable.js";

/** The allowed moves of a task attempt (STYLE.md rule 10). */
const ATTEMPT_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  LAUNCHING: ["RUNNING", "FINISHED", "FAILED", "KILLED", "LOST"],
  RUNNING: ["FINISHED", "FAILED", "KILLED", "LOST"],
  FINISHED: [],
  FAILED: [],
  KILLED: [],
  LOST: [],
};

function moveAttempt(info: TaskInfo, to: TaskState): void {
  if (!ATTEMPT_TRANSITIONS[info.status].includes(to)) throw new AssertionError(`task ${info.taskId}: illegal move ${info.status} -> ${to}`);
  info.status = to;
}

/** Compact the pending queue once this many consumed entries sit at its head (and they are most of it). */
const PENDING_COMPACT_AT = 1024;

export type FailedAttemptState = "FAILED" | "KILLED" | "LOST";

export function createTaskSetManager(
  jobId: JobId,
  priority: number,
  stageIndex: number,
  payloads: TaskPayload[],
  cpusPerTask: number,
): TaskSetManagerState {
  const numTasks = payloads.length;
  const pendingQueue = new Array<number>(numTasks);
  const taskAttempts = new Array<number[]>(numTasks);
  for (let i = 0; i < numTasks; i++) {
    pendingQueue[i] = i;
    taskAttempts[i] = [];
  }
  return {
    taskSetId: taskSetIdOf(jobId, stageIndex),
    jobId,
    stageIndex,
    priority,
    numTasks,
    cpusPerTask,
    payloads,
    copiesRunning: new Array<number>(numTasks).fill(0),
    successful: new Array<boolean>(numTasks).fill(false),
    tasksSuccessful: 0,
    numFailures: new Array<number>(numTasks).fill(0),
    taskAttempts,
    taskInfos: newTidTable(),
    runningTasks: newTidTable(),
    pendingQueue,
    pendingHead: 0,
    isZombie: false,
    killedByOtherAttempt: {},
    totalResultSizeBytes: 0,
    calculatedTasks: 0,
  };
}

/** dequeueTask: the next pending index that has not succeeded and has no attempt running, or -1. */
function dequeueTask(tsm: TaskSetManagerState): number {
  const queue = tsm.pendingQueue;
  while (tsm.pendingHead < queue.length) {
    const index = queue[tsm.pendingHead++]!;
    if (!tsm.successful[index] && tsm.copiesRunning[index] === 0) {
      if (tsm.pendingHead >= PENDING_COMPACT_AT && tsm.pendingHead * 2 >= queue.length) {
        queue.splice(0, tsm.pendingHead);
        tsm.pendingHead = 0;
      }
      return index;
    }
  }
  if (queue.length > 0) {
    queue.splice(0, queue.length);
    tsm.pendingHead = 0;
  }
  return -1;
}

/** addPendingTask: a failed index goes to the back of the queue. */
function addPendingTask(tsm: TaskSetManagerState, index: number): void {
  tsm.pendingQueue.push(index);
}

/**
 * resourceOffer + prepareLaunchingTask: at most one task for this offer, with a fresh TID and a
 * fresh TaskDescription (its payload copied out of the state). Null when nothing can launch.
 */
export function resourceOffer(d: DriverStep, tsm: TaskSetManagerState, executorId: ExecutorId, host: string): TaskDescription | null {
  if (tsm.isZombie) return null;
  const index = dequeueTask(tsm);
  if (index < 0) return null;
  const taskId = d.s.scheduler.nextTaskId++;
  tsm.copiesRunning[index]! += 1;
  const attempts = tsm.taskAttempts[index]!;
  const attemptNumber = attempts.length;
  tidSet(tsm.taskInfos, taskId, { taskId, index, attemptNumber, executorId, host, launchTimeMs: d.now, status: "LAUNCHING" });
  // A first attempt gets a one-slot list: `push` onto an empty list reserves 17 slots, and most indices run once.
  if (attemptNumber === 0) tsm.taskAttempts[index] = [taskId];
  else attempts.push(taskId);
  tidSet(tsm.runningTasks, taskId, true);
  const payload = tsm.payloads[index]!;
  return {
    taskId,
    attemptNumber,
    executorId,
    taskSetId: tsm.taskSetId,
    index,
    cpus: tsm.cpusPerTask,
    payload: { data: copyPlain(payload.data), sizeBytes: payload.sizeBytes },
  };
}

/** TaskInfo.launchSucceeded: the first RUNNING update ends the launching phase (§4.7's 3.x rule). */
export function launchSucceeded(tsm: TaskSetManagerState, taskId: TaskId): void {
  const info = tidGet(tsm.taskInfos, taskId);
  if (info !== undefined && info.status === "LAUNCHING") moveAttempt(info, "RUNNING");
}

export function removeRunningTask(tsm: TaskSetManagerState, taskId: TaskId): void {
  if (tidHas(tsm.runningTasks, taskId)) tidDelete(tsm.runningTasks, taskId);
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

function attemptFinishedAlready(d: DriverStep, info: TaskInfo, state: TaskState): boolean {
  if (!isTaskFinished(info.status)) return false;
  // SPARK-37300: a second end of the same attempt (e.g. its executor was lost first) changes nothing.
  d.fx.push(ignored("attempt-already-finished", { taskId: info.taskId, status: info.status, state }));
  return true;
}

function infoOf(tsm: TaskSetManagerState, taskId: TaskId): TaskInfo {
  const info = tidGet(tsm.taskInfos, taskId);
  if (info === undefined) throw new AssertionError(`task ${taskId} is not an attempt of task set ${tsm.taskSetId}`);
  return info;
}

/** handleSuccessfulTask (§4.5, 3.x). `value` is already a copy owned by the driver. */
export function handleSuccessfulTask(d: DriverStep, tsm: TaskSetManagerState, taskId: TaskId, value: unknown): void {
  const info = infoOf(tsm, taskId);
  if (attemptFinishedAlready(d, info, "FINISHED")) return;
  const index = info.index;
  if (tsm.successful[index] && tsm.killedByOtherAttempt[taskId] === true) {
    handleFailedTask(d, tsm, taskId, "KILLED", {
      kind: "TaskKilled",
      reason: "Finish but did not commit due to another attempt succeeded",
    });
    return;
  }
  moveAttempt(info, "FINISHED");
  removeRunningTask(tsm, taskId);
  d.fx.push(notify({ kind: "taskEnded", jobId: tsm.jobId, taskId, index, state: "FINISHED" }));
  for (const otherId of tsm.taskAttempts[index]!) {
    const other = tidGet(tsm.taskInfos, otherId)!;
    if (otherId === taskId || isTaskFinished(other.status)) continue;
    tsm.killedByOtherAttempt[otherId] = true;
    sendKillTask(d, otherId, other.executorId, true, "another attempt succeeded");
  }
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

/** handleFailedTask (§4.5): classify, count, abort at taskMaxFailures, else requeue. */
export function handleFailedTask(
  d: DriverStep,
  tsm: TaskSetManagerState,
  taskId: TaskId,
  state: FailedAttemptState,
  reason: TaskFailedReason,
): void {
  const info = infoOf(tsm, taskId);
  if (attemptFinishedAlready(d, info, state)) return;
  removeRunningTask(tsm, taskId);
  moveAttempt(info, state);
  const index = info.index;
  tsm.copiesRunning[index]! -= 1;
  const errorString = failureString(reason);
  d.fx.push(notify({ kind: "taskEnded", jobId: tsm.jobId, taskId, index, state, reason: errorString }));
  const attemptName = `${index}.${info.attemptNumber} in stage ${tsm.taskSetId} (TID ${taskId})`;
  const failureReason = `Lost task ${attemptName} (${info.host} executor ${info.executorId}): ${errorString}`;
  d.fx.push(log(reason.kind === "TaskKilled" ? "info" : "warn", "taskFailed", { taskSetId: tsm.taskSetId, taskId, reason: failureReason }));
  if (reason.kind === "ExceptionFailure" && reason.notSerializable) {
    // Re-running cannot make a result serializable.
    abort(d, tsm, `task ${attemptName} had a not serializable result: ${reason.message}`);
    return;
  }
  if (!tsm.isZombie && countsTowardTaskFailures(reason)) {
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
  for (const taskId of taskIds) {
    const info = infoOf(tsm, taskId);
    if (isTaskFinished(info.status) || info.executorId !== executorId) continue;
    handleFailedTask(d, tsm, taskId, "FAILED", {
      kind: "ExecutorLostFailure",
      executorId,
      exitCausedByApp: exitCausedByApp(reason, info.status === "LAUNCHING"),
      reason: lossMessage(reason),
    });
  }
}

/**
 * maybeFinishTaskSet: a zombie with nothing running leaves the pool. It may already have left it
 * (a result-size abort removes it before its last attempt is marked failed), as Spark allows.
 */
export function maybeFinishTaskSet(d: DriverStep, tsm: TaskSetManagerState): void {
  if (!tsm.isZombie || tsm.runningTasks.size !== 0) return;
  if (d.s.scheduler.taskSets[tsm.taskSetId] !== undefined) removeTaskSet(d.s.scheduler, tsm.taskSetId);
}
