/**
 * D7 `attempt-number-counts-earlier-attempts` (docs/protocol.md §6, §4.2): a LaunchTask's attempt
 * number is how many attempts of that task its task set launched before (Spark's
 * taskAttempts(index).size), counted from the LaunchTasks the driver sent since the task set was
 * submitted. O(1) per launch.
 */
import type { Effect } from "../../protocol/index.js";
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
    if (task.attemptNumber !== before) report("D7:attempt-number-counts-earlier-attempts", `${name} launched TID ${task.taskId} as attempt ${task.attemptNumber} of task ${task.index} of ${task.taskSetId}, which had ${before} attempts before`, [e.to]);
    launched[task.index] = before + 1;
  }
}
