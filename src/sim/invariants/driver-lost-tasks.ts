/**
 * D9 `lost-task-loses-its-executor` (docs/protocol.md §6, §4.4 step 2): a task LOST on an
 * executor takes the executor with it. Spark's TaskSchedulerImpl.statusUpdate, on a LOST update
 * for a TID it tracks, removes the executor (ExecutorProcessLost, "Task <tid> was lost, so marking
 * the executor as lost as well"): its other tasks are requeued, and no new task goes there. An
 * executor the driver kept after a LOST update would keep getting offers on the host that lost
 * the task. Judged on the step of the update, when the driver accepted it (it ignored nothing:
 * an update for an unknown or already cleaned TID, or from another executor, changes nothing,
 * I26). O(effects) per LOST update; nothing on other steps.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import type { Report } from "./report.js";

export const D9 = "D9:lost-task-loses-its-executor";

/** D9 for one driver step. */
export function checkLostTaskLosesExecutor(
  name: string,
  s: DriverRoleState,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  if (input === null || input.type !== "message" || input.message.type !== "StatusUpdate" || input.message.state !== "LOST") return;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "log" && e.event === "ignored") return;
  }
  const { executorId, taskId } = input.message;
  const exec = s.backend.executors[executorId];
  if (exec !== undefined)
    report(D9, `${name} accepted the LOST update of TID ${taskId} but keeps its executor ${executorId}`, [exec.address]);
}
