/**
 * D9 `lost-task-loses-its-executor` (docs/protocol.md §6, §4.4 step 2): a task LOST on an
 * executor takes the executor's other tasks with it. Spark's TaskSchedulerImpl.statusUpdate, on a
 * LOST update for a TID it tracks, removes the executor from the scheduler (ExecutorProcessLost,
 * "Task <tid> was lost, so marking the executor as lost as well"): every attempt running there
 * fails and is requeued, and the executor starts afresh at the next offer (the backend keeps it;
 * what still runs there gives its CPUs back on its own late update). A scheduler that kept the
 * other attempts would wait for tasks the host that lost one may never finish.
 *
 * Judged on the step of the update, when the driver took it (it ended the TID: a `taskEnded`
 * notification; an update for an unknown or already cleaned TID, or from another executor,
 * changes nothing, I26): after it, the scheduler tracks as running on that executor only the
 * attempts this very step launched there. O(effects + the executor's running attempts) per LOST
 * update; nothing on other steps.
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
  const { executorId, taskId } = input.message;
  let ended = false;
  const launchedNow = new Set<number>();
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "notify" && e.notification.kind === "taskEnded" && e.notification.taskId === taskId) ended = true;
    else if (e.type === "send" && e.message.type === "LaunchTask" && e.message.task.executorId === executorId)
      launchedNow.add(e.message.task.taskId);
  }
  if (!ended) return;
  const running = s.scheduler.executorIdToRunningTaskIds[executorId];
  if (running === undefined) return;
  const kept = running.filter((tid) => !launchedNow.has(tid));
  if (kept.length > 0)
    report(
      D9,
      `${name} took the LOST update of TID ${taskId} but still tracks ${kept.length} earlier attempt(s) as running on executor ${executorId} (TID ${kept.slice(0, 5).join(", ")})`,
      [s.backend.executors[executorId]?.address ?? input.from],
    );
}
