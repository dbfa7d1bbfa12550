/**
 * TaskSchedulerImpl (§1.8, §4.2, §4.4, §4.6, §4.7): the FIFO pool of task sets, the TID maps, the
 * offer loop, status updates and executor loss. Every per-task operation is O(1) amortized:
 * pending indices sit in a queue per task set, attempts in TID windows (attempts.ts, tidTable.ts).
 */
import { assert, AssertionError } from "../assert.js";
import { ignored, log } from "../io.js";
import type { ExecutorId, TaskId } from "../ids.js";
import type { StatusData, TaskDescription } from "../messages.js";
import { isTaskFinished, type TaskState } from "../states.js";
import { copyPlain } from "../copy.js";
import { killTaskAttempt } from "./kill.js";
import { addTaskSet } from "./pool.js";
import { failureFromStatusData, lossMessage, type ExecutorLossReason, type TaskFailedReason } from "./reasons.js";
import type { DriverStep, SchedulerState, TaskSetManagerState } from "./state.js";
import {
  abort,
  canFetchMoreResults,
  checkSpeculatableTasks as taskSetCheckSpeculatableTasks,
  executorLost as taskSetExecutorLost,
  handleFailedTask as taskSetHandleFailedTask,
  handleSuccessfulTask,
  launchSucceeded,
  markCancelled,
  resourceOffer,
  type FailedAttemptState,
} from "./taskSetManager.js";
import { attemptSlot, removeRunningSlot, runningTaskIds } from "./attempts.js";
import { tidDelete, tidGet, tidSet } from "./tidTable.js";

/** Spark's WorkerOffer: an active executor's free cores. */
export interface WorkerOffer {
  executorId: ExecutorId;
  host: string;
  cores: number;
}

/** submitTasks: the task set joins the pool, and offers are revived. */
export function submitTasks(d: DriverStep, tsm: TaskSetManagerState): void {
  addTaskSet(d.s.scheduler, tsm);
  d.fx.push(log("info", "taskSetSubmitted", { taskSetId: tsm.taskSetId, tasks: tsm.numTasks }));
  d.reviveRequested = true;
}

/**
 * resourceOffers (§4.2): for each task set in FIFO order, walk the (already shuffled) offers, at
 * most one task per offer per walk, until a walk launches nothing.
 */
export function resourceOffers(d: DriverStep, offers: readonly WorkerOffer[]): TaskDescription[] {
  const sched = d.s.scheduler;
  const availableCpus = new Array<number>(offers.length);
  for (let i = 0; i < offers.length; i++) {
    const offer = offers[i]!;
    if (sched.executorIdToRunningTaskIds[offer.executorId] === undefined) sched.executorIdToRunningTaskIds[offer.executorId] = [];
    availableCpus[i] = offer.cores;
  }
  const tasks: TaskDescription[] = [];
  for (const taskSetId of sched.pool) {
    const tsm = sched.taskSets[taskSetId]!;
    let launched = true;
    while (launched && !tsm.isZombie) {
      launched = false;
      for (let i = 0; i < offers.length; i++) {
        if (availableCpus[i]! < tsm.cpusPerTask) continue;
        const offer = offers[i]!;
        const task = resourceOffer(d, tsm, offer.executorId, offer.host);
        if (task === null) {
          // Without locality or exclusion, no task for one offer means no pending task at all,
          // unless a speculative copy waits for an offer from another host.
          if (tsm.speculatableQueue.length === 0) break;
          continue;
        }
        tidSet(sched.taskIdToTaskSetId, task.taskId, taskSetId);
        addRunningTaskId(sched.executorIdToRunningTaskIds[offer.executorId]!, task.taskId);
        availableCpus[i]! -= tsm.cpusPerTask;
        if (availableCpus[i]! < 0) throw new AssertionError(`offer of executor ${offer.executorId} went below 0 cpus (I22)`);
        tasks.push(task);
        launched = true;
      }
    }
  }
  return tasks;
}

/** Adds a TID to an executor's ascending list (a fresh TID is the largest: it goes last). */
function addRunningTaskId(running: number[], taskId: TaskId): void {
  let at = running.length;
  while (at > 0 && running[at - 1]! > taskId) at--;
  if (at > 0 && running[at - 1] === taskId) return;
  if (at === running.length) running.push(taskId);
  else running.splice(at, 0, taskId);
}

/** Removes a TID from an executor's list, if there (no `splice`: it would allocate the removed items). */
function removeRunningTaskId(running: number[], taskId: TaskId): void {
  const at = running.indexOf(taskId);
  if (at < 0) return;
  for (let i = at + 1; i < running.length; i++) running[i - 1] = running[i]!;
  running.pop(); // not `length -= 1`: setting an array's length is a runtime call
}

/**
 * resourceOffers for a single offer (makeOffers(executorId), after each finished task): the same
 * walk as `resourceOffers(d, [offer])` without the per-offer arrays.
 */
export function resourceOffersForExecutor(d: DriverStep, executorId: ExecutorId, host: string, cores: number): readonly TaskDescription[] {
  const sched = d.s.scheduler;
  let running = sched.executorIdToRunningTaskIds[executorId];
  if (running === undefined) {
    running = [];
    sched.executorIdToRunningTaskIds[executorId] = running;
  }
  let availableCpus = cores;
  let tasks: TaskDescription[] | null = null;
  for (const taskSetId of sched.pool) {
    const tsm = sched.taskSets[taskSetId]!;
    while (!tsm.isZombie && availableCpus >= tsm.cpusPerTask) {
      const task = resourceOffer(d, tsm, executorId, host);
      if (task === null) break;
      tidSet(sched.taskIdToTaskSetId, task.taskId, taskSetId);
      addRunningTaskId(running, task.taskId);
      availableCpus -= tsm.cpusPerTask;
      if (availableCpus < 0) throw new AssertionError(`offer of executor ${executorId} went below 0 cpus (I22)`);
      if (tasks === null) tasks = [task];
      else tasks.push(task);
    }
  }
  return tasks ?? NO_TASKS;
}

const NO_TASKS: readonly TaskDescription[] = [];

/** cleanupTaskState: the TID (which runs on `executorId`) leaves the scheduler's maps. */
function cleanupTaskState(sched: SchedulerState, taskId: TaskId, executorId: ExecutorId): void {
  const running = sched.executorIdToRunningTaskIds[executorId];
  if (running !== undefined) removeRunningTaskId(running, taskId);
  tidDelete(sched.taskIdToTaskSetId, taskId);
}

/** TaskSchedulerImpl.handleFailedTask: the task set decides, then offers are revived if the index must re-run. */
function handleFailedTask(
  d: DriverStep,
  tsm: TaskSetManagerState,
  taskId: TaskId,
  state: FailedAttemptState,
  reason: TaskFailedReason,
): void {
  taskSetHandleFailedTask(d, tsm, taskId, state, reason);
  const index = tsm.attempts.index[attemptSlot(tsm.attempts, taskId)]!;
  if (!tsm.isZombie && !tsm.successful[index]) d.reviveRequested = true;
}

/**
 * A task the backend did not send because its serialized form outgrew maxMessageSizeBytes: its
 * task set is aborted already, and the attempt, which never reached its executor nor took its
 * CPUs, ends KILLED at once (not counted). Spark leaves it among the executor's running tasks
 * until the executor is lost, so the aborted task set never leaves the pool, and a later loss of
 * that executor fails an attempt that never ran; flint does better, with no change on the wire.
 */
export function taskNotLaunched(d: DriverStep, taskId: TaskId, executorId: ExecutorId, reason: string): void {
  const sched = d.s.scheduler;
  const tsm = sched.taskSets[tidGet(sched.taskIdToTaskSetId, taskId)!];
  if (tsm === undefined) throw new AssertionError(`task ${taskId} was just offered but has no task set`);
  const slot = attemptSlot(tsm.attempts, taskId);
  cleanupTaskState(sched, taskId, executorId);
  removeRunningSlot(tsm.attempts, slot);
  handleFailedTask(d, tsm, taskId, "KILLED", { kind: "TaskKilled", reason });
  // The CPUs the offer round gave it were never taken: offer them again before the step ends.
  d.reviveRequested = true;
}

/**
 * statusUpdate (§4.4). Updates for unknown or already cleaned TIDs change nothing (I26). Returns
 * the executor the TID was tracked on before the update (taskIdToExecutorId), or undefined; null
 * when the update came from another executor than the one the task runs on, and changed nothing.
 */
export function statusUpdate(
  d: DriverStep,
  taskId: TaskId,
  state: TaskState,
  data: StatusData,
  reportedBy: ExecutorId,
): ExecutorId | undefined | null {
  const sched = d.s.scheduler;
  const taskSetId = tidGet(sched.taskIdToTaskSetId, taskId);
  if (taskSetId === undefined) {
    // Its task set is gone, or this is a duplicate, or its executor was already marked as lost.
    d.fx.push(ignored("unknown-task", { taskId, state }));
    return undefined;
  }
  const tsm = sched.taskSets[taskSetId];
  if (tsm === undefined) throw new AssertionError(`task ${taskId} maps to task set ${taskSetId}, which is not in the pool`);
  const slot = attemptSlot(tsm.attempts, taskId);
  assert(slot >= 0, "taskIdToTaskSetManager.contains(tid) <=> taskIdToExecutorId.contains(tid)");
  const executorId = tsm.attempts.executorId[slot]!;
  if (executorId !== reportedBy) {
    // TIDs are never reused, so only the executor running an attempt can report it: an update in
    // another executor's name is refused (the driver's authority table checked the sender was
    // the executor it names).
    d.fx.push(ignored("task-on-another-executor", { taskId, state, reportedBy, runsOn: executorId }));
    return null;
  }
  if (state === "LOST") {
    // Spark's Mesos fine-grained mode reports LOST; flint's executor does when its host lost the task (§4.4 step 2).
    const running = sched.executorIdToRunningTaskIds[executorId];
    if (running !== undefined) {
      // The backend keeps the executor: what else runs there holds its CPUs until it reports.
      const others = running.filter((tid) => tid !== taskId);
      if (others.length > 0)
        d.s.backend.lostExecutorTaskIds[executorId] = [...(d.s.backend.lostExecutorTaskIds[executorId] ?? []), ...others];
      removeExecutor(d, executorId, {
        kind: "ExecutorProcessLost",
        message: `Task ${taskId} was lost, so marking the executor as lost as well.`,
        causedByApp: true,
      });
      d.reviveRequested = true;
    }
  }
  if (isTaskFinished(state)) {
    cleanupTaskState(sched, taskId, executorId);
    removeRunningSlot(tsm.attempts, slot);
    if (state === "FINISHED") {
      if (data.kind !== "result") {
        handleFailedTask(d, tsm, taskId, "FAILED", { kind: "TaskResultLost" });
      } else if (!canFetchMoreResults(d, tsm, data.sizeBytes)) {
        handleFailedTask(d, tsm, taskId, "KILLED", { kind: "TaskKilled", reason: "Tasks result size has exceeded maxResultSize" });
      } else {
        handleSuccessfulTask(d, tsm, taskId, copyPlain(data.value));
      }
    } else {
      handleFailedTask(d, tsm, taskId, state as FailedAttemptState, failureFromStatusData(data));
    }
  } else if (state === "RUNNING") {
    launchSucceeded(tsm, slot);
  }
  return executorId;
}

/**
 * TaskSchedulerImpl.removeExecutor: its TIDs are cleaned up, then every task set, in pool order,
 * fails the attempts that were running there (TaskSetManager.executorLost).
 */
function removeExecutor(d: DriverStep, executorId: ExecutorId, reason: ExecutorLossReason): void {
  const sched = d.s.scheduler;
  const running = sched.executorIdToRunningTaskIds[executorId]!;
  delete sched.executorIdToRunningTaskIds[executorId];
  const taskIds: TaskId[] = [];
  const owners: string[] = [];
  for (const taskId of running) {
    taskIds.push(taskId);
    owners.push(tidGet(sched.taskIdToTaskSetId, taskId)!);
    tidDelete(sched.taskIdToTaskSetId, taskId);
  }
  if (taskIds.length === 0) return;
  // A task set may leave the pool while we go: iterate over a copy.
  for (const taskSetId of sched.pool.slice()) {
    const tsm = sched.taskSets[taskSetId];
    if (tsm === undefined) continue;
    const mine = taskIds.filter((_, i) => owners[i] === taskSetId);
    if (mine.length > 0) taskSetExecutorLost(d, tsm, executorId, reason, mine);
  }
}

/**
 * TaskSchedulerImpl.checkSpeculatableTasks (the speculation timer): every task set of the pool
 * looks for slow tasks; offers are revived when one was found.
 */
export function checkSpeculatableTasks(d: DriverStep): void {
  const sched = d.s.scheduler;
  let found = false;
  for (const taskSetId of sched.pool) if (taskSetCheckSpeculatableTasks(d, sched.taskSets[taskSetId]!)) found = true;
  if (found) d.reviveRequested = true;
}

/** TaskSchedulerImpl.executorLost (§4.7): fail what ran there, then revive offers. */
export function executorLost(d: DriverStep, executorId: ExecutorId, reason: ExecutorLossReason): void {
  if (d.s.scheduler.executorIdToRunningTaskIds[executorId] === undefined) {
    d.fx.push(log("info", "executorAlreadyRemoved", { executorId, reason: lossMessage(reason) }));
    return;
  }
  removeExecutor(d, executorId, reason);
  d.reviveRequested = true;
}

/** isExecutorBusy: some attempt is still tracked as running there. */
export function isExecutorBusy(sched: SchedulerState, executorId: string): boolean {
  const running = sched.executorIdToRunningTaskIds[executorId];
  return running !== undefined && running.length > 0;
}

/** scheduler.error (reached through markDead): every task set in the pool is aborted. */
export function error(d: DriverStep, message: string): void {
  const sched = d.s.scheduler;
  for (const taskSetId of sched.pool.slice()) {
    const tsm = sched.taskSets[taskSetId];
    if (tsm !== undefined) abort(d, tsm, message);
  }
}

/** cancelTasks for one stage: kill its running attempts ("Stage cancelled"), then retire its task set. */
export function cancelTasks(d: DriverStep, tsm: TaskSetManagerState, interruptThread: boolean): void {
  for (const taskId of runningTaskIds(tsm.attempts)) killTaskAttempt(d, taskId, interruptThread, "Stage cancelled");
  markCancelled(d, tsm);
}
