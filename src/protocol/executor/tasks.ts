/**
 * Tasks on the executor (docs/protocol.md §1.6 LaunchTask, KillTask, statusUpdate). The host runs the
 * user code and answers each `runTask` with exactly one `taskFinished`. Spark's coarse-grained
 * executor never reports LOST by itself (its Executor ends a task FINISHED, FAILED or KILLED);
 * a LOST update is passed on only when the host says it lost the task (outcome `lost`: in Spark,
 * Mesos reporting TASK_LOST), with no data, which the driver reads as UnknownReason.
 */
import { assertNever } from "../assert.js";
import type { TaskId } from "../ids.js";
import { ignored, send, type Effect, type TaskOutcome } from "../io.js";
import type { KillTask, LaunchTask, StatusData, TaskDescription, TaskFailureData } from "../messages.js";
import type { TaskState } from "../states.js";
import { copyPlain } from "../copy.js";
import { exitExecutor } from "./lifecycle.js";
import type { ExecutorBackendState } from "./state.js";

function statusUpdate(s: ExecutorBackendState, taskId: TaskId, state: TaskState, data: StatusData, taskCpus: number, fx: Effect[]): void {
  fx.push(send(s.driverAddress, { type: "StatusUpdate", executorId: s.executorId, taskId, state, data, taskCpus }));
}

/** Where the task with this TID sits in `runningTaskIds`, or -1. */
function runningIndex(s: ExecutorBackendState, taskId: TaskId): number {
  const running = s.runningTaskIds;
  for (let i = 0; i < running.length; i++) if (running[i] === taskId) return i;
  return -1;
}

/** A fresh copy of a task (a literal: cheaper than a spread, and the compiler checks every field is named). */
function copyTask(task: TaskDescription): TaskDescription {
  return {
    taskId: task.taskId,
    attemptNumber: task.attemptNumber,
    executorId: task.executorId,
    taskSetId: task.taskSetId,
    index: task.index,
    cpus: task.cpus,
    payload: { data: copyPlain(task.payload.data), sizeBytes: task.payload.sizeBytes },
  };
}

export function onLaunchTask(s: ExecutorBackendState, m: LaunchTask, fx: Effect[]): void {
  if (!s.constructed) {
    // The SPARK-29287 race (2.x); the 3.0+ driver sends no task before LaunchedExecutor.
    exitExecutor(s, 1, "Received LaunchTask command but executor was null", true, fx);
    return;
  }
  const { taskId, cpus } = m.task;
  if (runningIndex(s, taskId) >= 0) {
    // TIDs are never reused (I19): a second LaunchTask for a running TID is a duplicated delivery.
    fx.push(ignored("duplicate-task", { taskId }));
    return;
  }
  s.runningTaskIds.push(taskId);
  s.runningTaskCpus.push(cpus);
  fx.push({ type: "runTask", task: copyTask(m.task) });
  statusUpdate(s, taskId, "RUNNING", { kind: "none" }, cpus, fx);
}

export function onKillTask(s: ExecutorBackendState, m: KillTask, fx: Effect[]): void {
  if (!s.constructed) {
    exitExecutor(s, 1, "Received KillTask command but executor was null", true, fx);
    return;
  }
  if (runningIndex(s, m.taskId) < 0) {
    fx.push(ignored("unknown-task", { taskId: m.taskId }));
    return;
  }
  // The host interrupts the task and answers with taskFinished(killed).
  fx.push({ type: "killTask", taskId: m.taskId, reason: m.reason });
}

function failureData(outcome: Extract<TaskOutcome, { kind: "failure" | "killed" }>): TaskFailureData {
  if (outcome.kind === "killed") return { kind: "killed", reason: outcome.reason };
  const failure: TaskFailureData = { kind: "exception", message: outcome.message };
  if (outcome.stack !== undefined) failure.stack = outcome.stack;
  if (outcome.notSerializable !== undefined) failure.notSerializable = outcome.notSerializable;
  return failure;
}

export function onTaskFinished(s: ExecutorBackendState, taskId: TaskId, outcome: TaskOutcome, fx: Effect[]): void {
  const at = runningIndex(s, taskId);
  if (at < 0) {
    fx.push(ignored("unknown-task", { taskId }));
    return;
  }
  const ids = s.runningTaskIds;
  const cpusOf = s.runningTaskCpus;
  const cpus = cpusOf[at]!;
  // `splice` would allocate the list of removed items, once per task.
  for (let i = at + 1; i < ids.length; i++) {
    ids[i - 1] = ids[i]!;
    cpusOf[i - 1] = cpusOf[i]!;
  }
  // Not `length -= 1`: setting an array's length is a runtime call.
  ids.pop();
  cpusOf.pop();
  switch (outcome.kind) {
    case "success":
      statusUpdate(s, taskId, "FINISHED", { kind: "result", value: copyPlain(outcome.value), sizeBytes: outcome.sizeBytes }, cpus, fx);
      break;
    case "failure":
      statusUpdate(s, taskId, "FAILED", { kind: "failure", failure: failureData(outcome) }, cpus, fx);
      break;
    case "killed":
      statusUpdate(s, taskId, "KILLED", { kind: "failure", failure: failureData(outcome) }, cpus, fx);
      break;
    case "lost":
      statusUpdate(s, taskId, "LOST", { kind: "none" }, cpus, fx);
      break;
    default:
      assertNever(outcome, "task outcome");
  }
}
