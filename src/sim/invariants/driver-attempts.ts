/**
 * D7 `attempt-number-counts-earlier-attempts` (docs/protocol.md §6, §4.2): a LaunchTask's attempt
 * number is how many attempts of that task its task set launched before (Spark's
 * taskAttempts(index).size), counted from the LaunchTasks the driver sent since the task set was
 * submitted. O(1) per launch.
 */
import type { Effect } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import { isTaskFinished } from "../../protocol/states.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** Per task set (since its last submission), per index: the attempts launched so far. */
export type LaunchCounts = Map<string, number[]>;

/** D7 for one driver step. */
export function checkAttemptNumbers(name: string, counts: LaunchCounts, effects: readonly Effect[], report: Report): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "log") {
      // A task set id comes back when a job id is reused: its attempts start again.
      if (e.event === "taskSetSubmitted") counts.set(String(e.fields["taskSetId"]), []);
      continue;
    }
    if (e.type !== "send" || e.message.type !== "LaunchTask") continue;
    const task = e.message.task;
    let launched = counts.get(task.taskSetId);
    if (launched === undefined) {
      launched = [];
      counts.set(task.taskSetId, launched);
    }
    const before = launched[task.index] ?? 0;
    if (task.attemptNumber !== before)
      report(
        "D7:attempt-number-counts-earlier-attempts",
        `${name} launched TID ${task.taskId} as attempt ${task.attemptNumber} of task ${task.index} of ${task.taskSetId}, which had ${before} attempts before`,
        [e.to],
      );
    launched[task.index] = before + 1;
  }
}

/**
 * D8 `kill-names-a-running-attempt` (§4.6): every KillTask the driver sends names an attempt it
 * launched on that executor and still holds as running (a job's cancellation, a user's kill, or
 * another attempt's success only stop running attempts), and goes to that executor's address.
 * A TID it never sent (an oversized task, aborted before sending) is Spark's to kill in vain.
 * O(1) per KillTask.
 */
export function checkKillsNameRunningAttempts(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  effects: readonly Effect[],
  report: Report,
): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send" || e.message.type !== "KillTask") continue;
    const { taskId, executorId } = e.message;
    if (!tids.launched(taskId)) continue;
    const check = "D8:kill-names-a-running-attempt";
    if (tids.executorOf(taskId) !== executorId) {
      report(
        check,
        `${name} sent KillTask for TID ${taskId} naming executor ${executorId}, but launched it on ${tids.executorOf(taskId)}`,
        [e.to],
      );
      continue;
    }
    const address = s.backend.executors[executorId]?.address;
    if (address !== e.to)
      report(
        check,
        `${name} sent KillTask for TID ${taskId} of executor ${executorId} to ${e.to}, not its address ${address ?? "(unknown)"}`,
        [e.to],
      );
    const tsm = s.scheduler.taskSets[tids.taskSetOf(taskId)!];
    const slot = tsm === undefined ? -1 : attemptSlot(tsm.attempts, taskId);
    const status = slot < 0 ? undefined : tsm!.attempts.status[slot];
    if (status === undefined || status === null || isTaskFinished(status))
      report(check, `${name} sent KillTask for TID ${taskId}, which it holds as ${status ?? "gone"}, not running`, [e.to]);
  }
}
