/**
 * The executor's safety invariants, checked on the executor's own state so that a driver's
 * bookkeeping cannot vouch for itself. O(1), and only on the few steps they concern:
 *  - I18 (the executor's half): an executor shares the fate of its driver and of its worker. When
 *    the connection to either drops it exits (CoarseGrainedExecutorBackend.onDisconnected,
 *    WorkerWatcher); it may outlive them only until that disconnect reaches it, or for ever behind
 *    a partition, where no disconnect is seen (§5.4).
 *  - I27 (the executor's half): no task reaches an executor that has not built its Executor yet
 *    (SPARK-29287: the task fails and the executor exits with code 1).
 */
import type { Input } from "../../protocol/index.js";
import type { ExecutorBackendState } from "../../protocol/executor/state.js";
import type { Report } from "./report.js";

/** Whether an executor step needs checking at all (most do not: task ends, heartbeats). */
export const executorStepChecked = (s: ExecutorBackendState, input: Input | null): boolean =>
  input !== null &&
  (input.type === "peerDisconnected" || (input.type === "message" && input.message.type === "LaunchTask" && !s.constructed));

/** I18: a disconnect from the executor's driver or worker leaves it stopping (its exit effect went out). */
export function checkExecutorSharesFate(name: string, s: ExecutorBackendState, input: Input | null, report: Report): void {
  if (input?.type !== "peerDisconnected") return;
  const peer = input.peer;
  if (peer !== s.driverAddress && peer !== s.workerAddress) return;
  if (!s.stopping)
    report("I18:fate-shared", `${name} outlived the disconnect of its ${peer === s.driverAddress ? "driver" : "worker"} ${peer}`, [peer]);
}

/**
 * I27: a LaunchTask reached an executor that has not built its Executor (no RegisteredExecutor
 * yet). `reused` says the executor's id was launched again by a later leader (§3.5.6): the new
 * process then has the old one's name and address, and the driver, which still holds the old one
 * under that id, sends it the old one's tasks: Spark's weakness, not this check's.
 */
export function checkTaskReachesBuiltExecutor(
  name: string,
  s: ExecutorBackendState,
  input: Input | null,
  report: Report,
  reused = false,
): void {
  if (input?.type !== "message" || input.message.type !== "LaunchTask" || s.constructed) return;
  report(
    "I27:no-task-to-unbuilt-executor",
    `${name} received LaunchTask (TID ${input.message.task.taskId}) from ${input.from} before it had built its Executor`,
    [input.from],
    reused ? "§3.5.6 a later leader reused the executor's id" : undefined,
  );
}

/** Every executor check for one step; `reused`: see checkTaskReachesBuiltExecutor. */
export function checkExecutorStep(name: string, s: ExecutorBackendState, input: Input | null, report: Report, reused = false): void {
  checkExecutorSharesFate(name, s, input, report);
  checkTaskReachesBuiltExecutor(name, s, input, report, reused);
}
