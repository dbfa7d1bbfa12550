/** Killing one task attempt: TaskSchedulerImpl.killTaskAttempt and the DriverEndpoint's KillTask (§4.6). */
import { log, send } from "../io.js";
import type { ExecutorId, TaskId } from "../ids.js";
import { attemptSlot } from "./attempts.js";
import type { DriverStep, SchedulerState } from "./state.js";
import { tidGet } from "./tidTable.js";

/** DriverEndpoint's KillTask: forwarded to the executor when it is known, else only logged. */
export function sendKillTask(d: DriverStep, taskId: TaskId, executorId: ExecutorId, interruptThread: boolean, reason: string): void {
  const exec = d.s.backend.executors[executorId];
  if (exec === undefined) {
    d.fx.push(log("warn", "killTaskOnUnknownExecutor", { taskId, executorId }));
    return;
  }
  d.fx.push(send(exec.address, { type: "KillTask", taskId, executorId, interruptThread, reason }));
}

/** TaskSchedulerImpl.killTaskAttempt: false when no running attempt has that TID. */
export function killTaskAttempt(d: DriverStep, taskId: TaskId, interruptThread: boolean, reason: string): boolean {
  const executorId = executorOfTask(d.s.scheduler, taskId);
  if (executorId === undefined) return false;
  sendKillTask(d, taskId, executorId, interruptThread, reason);
  return true;
}

/** taskIdToExecutorId: the executor of a TID not yet cleaned up (its attempt's, which never moves), else undefined. */
export function executorOfTask(sched: SchedulerState, taskId: TaskId): ExecutorId | undefined {
  const taskSetId = tidGet(sched.taskIdToTaskSetId, taskId);
  if (taskSetId === undefined) return undefined;
  const tsm = sched.taskSets[taskSetId];
  if (tsm === undefined) return undefined;
  const slot = attemptSlot(tsm.attempts, taskId);
  return slot < 0 ? undefined : tsm.attempts.executorId[slot];
}
