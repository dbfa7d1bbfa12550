/**
 * Two task-set rules the driver's own marks could hide (docs/protocol.md §4.2, §4.5, §6):
 *
 * - D20 `speculatable-task-offered-at-once`: a speculation check that marks a task speculatable
 *   names the task's one running attempt (its `taskSpeculatable` log: the TID, of that task,
 *   running) and revives offers in the same step (TaskSchedulerImpl.checkSpeculatableTasks), so
 *   after the step the task has its copy, or no usable executor (built, not being removed) with
 *   enough free cores is left on a host where no attempt of the task ran.
 * - D21 `finished-task-set-leaves-pool`: a task set whose every task has succeeded (a zombie then)
 *   leaves the pool once no attempt of it runs (maybeFinishTaskSet); judged after each step that
 *   ended one of its attempts.
 *
 * Cost: D20 only on speculation timer steps that marked a task (O(executors) per mark); D21
 * O(1) per ended attempt.
 */
import type { Effect, Input } from "../../protocol/index.js";
import { SPECULATION_TIMER, type DriverRoleState, type TaskSetManagerState } from "../../protocol/driver/state.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import { isTaskFinished } from "../../protocol/states.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

export const D20 = "D20:speculatable-task-offered-at-once";
export const D21 = "D21:finished-task-set-leaves-pool";

/** The hosts where some attempt of the index was offered, running or finished (dequeueSpeculativeTask's exclusion). */
function attemptHosts(tsm: TaskSetManagerState, index: number): Set<string> {
  const t = tsm.attempts;
  const hosts = new Set<string>();
  for (let taskId = tsm.lastAttempt[index] ?? -1; taskId >= 0; ) {
    const slot = attemptSlot(t, taskId);
    if (slot < 0) break;
    hosts.add(t.host[slot]!);
    const previous = t.previous[slot]!;
    if (previous >= taskId) break;
    taskId = previous;
  }
  return hosts;
}

/** D20 for one driver step. */
export function checkSpeculatableOffered(
  name: string,
  s: DriverRoleState,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  if (input === null || input.type !== "timer" || input.key !== SPECULATION_TIMER) return;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "log" || e.event !== "taskSpeculatable") continue;
    const taskSetId = String(e.fields["taskSetId"]);
    const index = Number(e.fields["index"]);
    const taskId = Number(e.fields["taskId"]);
    const tsm = s.scheduler.taskSets[taskSetId];
    if (tsm === undefined) continue;
    const t = tsm.attempts;
    const slot = attemptSlot(t, taskId);
    if (slot < 0 || t.index[slot] !== index || isTaskFinished(t.status[slot]!)) {
      report(
        D20,
        `${name} marked task ${index} of ${taskSetId} speculatable naming TID ${taskId}, which is no running attempt of that task`,
      );
      continue;
    }
    if (s.phase !== "running" || tsm.isZombie || tsm.successful[index] === true || tsm.copiesRunning[index] !== 1) continue;
    const hosts = attemptHosts(tsm, index);
    const b = s.backend;
    for (const executorId in b.executors) {
      const exec = b.executors[executorId]!;
      if (
        !exec.launched ||
        b.executorsPendingToRemove[executorId] !== undefined ||
        exec.freeCores < tsm.cpusPerTask ||
        hosts.has(exec.host)
      )
        continue;
      report(
        D20,
        `${name} marked task ${index} of ${taskSetId} speculatable, but launched no copy while executor ${executorId} on host ${exec.host}, where no attempt of it ran, had ${exec.freeCores} free cores`,
        [exec.address],
      );
      break;
    }
  }
}

/** D21 for one driver step. */
export function checkFinishedTaskSets(name: string, s: DriverRoleState, tids: TidLedger, effects: readonly Effect[], report: Report): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "taskEnded") continue;
    const taskSetId = tids.taskSetOf(e.notification.taskId);
    const tsm = taskSetId === undefined ? undefined : s.scheduler.taskSets[taskSetId];
    if (tsm === undefined || tsm.tasksSuccessful !== tsm.numTasks || tsm.attempts.runningCount !== 0) continue;
    report(D21, `${name}: every task of ${tsm.taskSetId} has succeeded and none of its attempts runs, but it is still in the pool`);
    return;
  }
}
