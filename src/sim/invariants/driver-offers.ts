/**
 * D3 `offer-round-uses-idle-cores` (docs/protocol.md §6, §4.2): an offer round leaves no usable
 * executor with enough free cores for a task that is pending in an active task set. Usable: built
 * (LaunchedExecutor) and not being removed. Pending: not successful, no attempt running.
 *
 * Which executors a step offered is read from its input, as Spark's DriverEndpoint decides it: the
 * revive timer, a new task set, or a failed attempt of an active task set to re-run (ReviveOffers)
 * offer every executor; a final StatusUpdate or LaunchedExecutor offers that executor. A step that
 * aborted a task set for an oversized task is not judged: its offers reserved that task's CPUs
 * without taking them (as Spark's do), and the next round gives them out.
 *
 * Cost: O(pool) per judged step to find pending work, O(executors) only when some is pending, and
 * a scan of a task set's indices only when an idle executor is found beside it.
 */
import type { Effect, Input } from "../../protocol/index.js";
import { REVIVE_TIMER, type DriverRoleState, type TaskSetManagerState } from "../../protocol/driver/state.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import type { Report } from "./report.js";

/** Ignore reasons of a StatusUpdate after which its executor is still offered (the update was stale, the executor is known). */
const OFFERING_IGNORES: ReadonlySet<string> = new Set(["unknown-task", "attempt-already-finished"]);

/** The executors a step's offer round covered: every one, one, or none. */
function offered(input: Input | null, effects: readonly Effect[], s: DriverRoleState): "all" | string | null {
  let one: string | null = null;
  if (input !== null) {
    if (input.type === "timer" && input.key === REVIVE_TIMER) return "all";
    if (input.type === "message") {
      const m = input.message;
      if (
        (m.type === "StatusUpdate" && (m.state === "FINISHED" || m.state === "FAILED" || m.state === "KILLED" || m.state === "LOST")) ||
        m.type === "LaunchedExecutor"
      )
        one = m.executorId;
    }
  }
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "log") continue;
    if (e.event === "taskSetAborted" && String(e.fields["reason"]).includes("spark.rpc.message.maxSize")) return null;
    // A message refused or ignored (a sender that is not the executor, an update in another executor's
    // name, a repeated LaunchedExecutor) offers nothing; a stale update still offers its executor.
    if (e.event === "ignored" && !OFFERING_IGNORES.has(String(e.fields["why"]))) one = null;
  }
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "log" && e.event === "taskSetSubmitted") return "all";
    if (e.type === "notify" && e.notification.kind === "taskEnded" && e.notification.state !== "FINISHED") {
      // A failed attempt whose index must re-run asks for a round of offers (TaskSchedulerImpl.handleFailedTask).
      const tsm = taskSetOfTask(s, e.notification.taskId, e.notification.jobId);
      if (tsm !== undefined && !tsm.isZombie && tsm.successful[e.notification.index] !== true) return "all";
    }
  }
  return one;
}

function taskSetOfTask(s: DriverRoleState, taskId: number, jobId: string): TaskSetManagerState | undefined {
  for (const id of s.scheduler.pool) {
    const tsm = s.scheduler.taskSets[id];
    if (tsm === undefined || tsm.jobId !== jobId) continue;
    if (attemptSlot(tsm.attempts, taskId) >= 0) return tsm;
  }
  return undefined;
}

/** Whether an active task set has an index that is not successful and has no attempt running (dequeueTask's test). */
function firstPendingIndex(tsm: TaskSetManagerState): number {
  for (let index = 0; index < tsm.numTasks; index++) if (tsm.successful[index] !== true && tsm.copiesRunning[index] === 0) return index;
  return -1;
}

/** D3 for one driver step. */
export function checkOfferRound(name: string, s: DriverRoleState, input: Input | null, effects: readonly Effect[], report: Report): void {
  if (s.phase !== "running") return;
  const sched = s.scheduler;
  // The smallest CPU need among active task sets that look to have pending work (each running attempt is one unsuccessful index's, I20).
  let minCpus = Infinity;
  for (const id of sched.pool) {
    const tsm = sched.taskSets[id];
    if (tsm === undefined || tsm.isZombie) continue;
    if (tsm.numTasks - tsm.tasksSuccessful - tsm.attempts.runningCount > 0 && tsm.cpusPerTask < minCpus) minCpus = tsm.cpusPerTask;
  }
  if (minCpus === Infinity) return;
  const round = offered(input, effects, s);
  if (round === null) return;
  const b = s.backend;
  const idle: string[] = [];
  if (round === "all") {
    for (const executorId in b.executors) idle.push(executorId);
  } else idle.push(round);
  for (const executorId of idle) {
    const e = b.executors[executorId];
    if (e === undefined || !e.launched || b.executorsPendingToRemove[executorId] !== undefined || e.freeCores < minCpus) continue;
    for (const id of sched.pool) {
      const tsm = sched.taskSets[id]!;
      if (tsm.isZombie || tsm.cpusPerTask > e.freeCores) continue;
      const index = firstPendingIndex(tsm);
      if (index < 0) continue;
      report(
        "D3:offer-round-uses-idle-cores",
        `${name}: after an offer round, executor ${executorId} has ${e.freeCores} free cores while task ${index} of ${tsm.taskSetId} (${tsm.cpusPerTask} CPUs) is pending`,
        [e.address],
      );
      return;
    }
  }
}
