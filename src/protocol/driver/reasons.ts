/**
 * Why an executor was lost (Spark's ExecutorLossReason) and why a task attempt failed (Spark's
 * TaskFailedReason), as discriminated unions, with the rules that read them (§4.5, §4.7).
 */
import type { ExecutorId } from "../ids.js";
import type { StatusData } from "../messages.js";

export type ExecutorLossReason =
  /** The master saw the process exit with a code (ExecutorUpdated with exitStatus). */
  | { kind: "ExecutorExited"; exitCode: number; exitCausedByApp: boolean; message: string }
  /** The process is gone without an exit code: worker lost, disconnect, heartbeat timeout. */
  | { kind: "ExecutorProcessLost"; message: string; workerHost?: string; causedByApp: boolean }
  /** The driver killed it on purpose (executorsPendingToRemove = true): never counts. */
  | { kind: "ExecutorKilled" }
  /** The executor said why it exits (its own RemoveExecutor): counts, as Spark's default. */
  | { kind: "ExecutorLossReason"; message: string };

export type TaskFailedReason =
  | { kind: "ExceptionFailure"; message: string; stack?: string; notSerializable: boolean }
  | { kind: "TaskKilled"; reason: string }
  | { kind: "ExecutorLostFailure"; executorId: ExecutorId; exitCausedByApp: boolean; reason: string }
  | { kind: "TaskResultLost" }
  | { kind: "UnknownReason" };

export function lossMessage(reason: ExecutorLossReason): string {
  switch (reason.kind) {
    case "ExecutorKilled":
      return "Executor killed by driver.";
    case "ExecutorExited":
    case "ExecutorProcessLost":
    case "ExecutorLossReason":
      return reason.message;
  }
}

/**
 * TaskSetManager.executorLost's exitCausedByApp (§4.7), with the 3.x rule that an attempt still
 * launching (no RUNNING update yet) failed for a network reason, not because of the app.
 */
export function exitCausedByApp(reason: ExecutorLossReason, attemptLaunching: boolean): boolean {
  switch (reason.kind) {
    case "ExecutorKilled":
      return false;
    case "ExecutorExited":
      if (!reason.exitCausedByApp) return false;
      break;
    case "ExecutorProcessLost":
      if (!reason.causedByApp) return false;
      break;
    case "ExecutorLossReason":
      break;
  }
  return !attemptLaunching;
}

/** Whether a failure counts toward spark.task.maxFailures (§4.5's table). */
export function countsTowardTaskFailures(reason: TaskFailedReason): boolean {
  switch (reason.kind) {
    case "ExceptionFailure":
    case "TaskResultLost":
    case "UnknownReason":
      return true;
    case "TaskKilled":
      return false;
    case "ExecutorLostFailure":
      return reason.exitCausedByApp;
  }
}

/** Spark's TaskFailedReason.toErrorString. */
export function failureString(reason: TaskFailedReason): string {
  switch (reason.kind) {
    case "ExceptionFailure":
      return reason.stack ? `${reason.message}\n${reason.stack}` : reason.message;
    case "TaskKilled":
      return `TaskKilled (${reason.reason})`;
    case "ExecutorLostFailure": {
      const behaviour = reason.exitCausedByApp ? "caused by one of the running tasks" : "unrelated to the running tasks";
      return `ExecutorLostFailure (executor ${reason.executorId} exited ${behaviour}) Reason: ${reason.reason}`;
    }
    case "TaskResultLost":
      return "TaskResultLost (result lost from block manager)";
    case "UnknownReason":
      return "UnknownReason";
  }
}

/** What TaskResultGetter.enqueueFailedTask decodes from a FAILED/KILLED/LOST update. */
export function failureFromStatusData(data: StatusData): TaskFailedReason {
  if (data.kind !== "failure") return { kind: "UnknownReason" };
  const failure = data.failure;
  switch (failure.kind) {
    case "exception":
      return failure.stack === undefined
        ? { kind: "ExceptionFailure", message: failure.message, notSerializable: failure.notSerializable === true }
        : { kind: "ExceptionFailure", message: failure.message, stack: failure.stack, notSerializable: failure.notSerializable === true };
    case "killed":
      return { kind: "TaskKilled", reason: failure.reason };
  }
}

const UNITS: ReadonlyArray<[number, string]> = [
  [2 ** 60, "EiB"],
  [2 ** 50, "PiB"],
  [2 ** 40, "TiB"],
  [2 ** 30, "GiB"],
  [2 ** 20, "MiB"],
  [2 ** 10, "KiB"],
];

/** Spark's Utils.bytesToString: the largest unit the size is at least twice of, one decimal. */
export function bytesToString(sizeBytes: number): string {
  for (const [unitBytes, unit] of UNITS) {
    if (sizeBytes >= 2 * unitBytes) return `${(sizeBytes / unitBytes).toFixed(1)} ${unit}`;
  }
  return `${sizeBytes.toFixed(1)} B`;
}
