/**
 * D5 `app-failures-counted` (docs/protocol.md §6, §4.5): C4's other half. A failure that is surely
 * the app's counts against its task: an attempt the driver failed on the executor's own FAILED
 * update with an exception (a serializable one: a not serializable result aborts at once), or on a
 * FINISHED update without a result (TaskResultLost). The check keeps its own tally of those per
 * index, reset when the index succeeds; while the task set is active, the driver's count of the
 * index's failures is at least that tally, and the tally never reaches taskMaxFailures (the task
 * set would have been aborted). An attempt of an index that already succeeded (a speculative
 * loser, asked to stop) no longer counts (D12). O(1) per failed attempt.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** Per task set, per index: the attempts failed for reasons that surely count, since the index last succeeded. */
export type AppFailureTally = Map<string, Map<number, number>>;

/** Whether the input is an executor's update that fails its attempt for a reason that surely counts against the app. */
function surelyCounts(input: Input | null, taskId: number): boolean {
  if (input === null || input.type !== "message" || input.message.type !== "StatusUpdate" || input.message.taskId !== taskId) return false;
  const m = input.message;
  if (m.state === "FINISHED") return m.data.kind !== "result";
  return (
    m.state === "FAILED" && m.data.kind === "failure" && m.data.failure.kind === "exception" && m.data.failure.notSerializable !== true
  );
}

/** D5 for one driver step. */
export function checkAppFailuresCounted(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  tally: AppFailureTally,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "taskEnded") continue;
    const n = e.notification;
    const taskSetId = tids.taskSetOf(n.taskId);
    if (taskSetId === undefined) continue;
    if (n.state === "FINISHED") {
      tally.get(taskSetId)?.delete(n.index);
      continue;
    }
    const tsm = s.scheduler.taskSets[taskSetId];
    // A task set that is a zombie after the step may have been one before it: then nothing counts.
    if (tsm === undefined || tsm.isZombie || tsm.successful[n.index] === true || !surelyCounts(input, n.taskId)) continue;
    let byIndex = tally.get(taskSetId);
    if (byIndex === undefined) {
      byIndex = new Map();
      tally.set(taskSetId, byIndex);
    }
    const sure = (byIndex.get(n.index) ?? 0) + 1;
    byIndex.set(n.index, sure);
    const counted = tsm.numFailures[n.index] ?? 0;
    const max = s.protocol.taskMaxFailures;
    if (sure >= max)
      report(
        "D5:app-failures-counted",
        `${name}: task ${n.index} of ${taskSetId} failed ${sure} times for the app's own reasons (limit ${max}; TID ${n.taskId} just ended ${n.state}), but its task set is still active`,
      );
    else if (counted < sure)
      report(
        "D5:app-failures-counted",
        `${name} counts ${counted} failures against task ${n.index} of ${taskSetId}, but ${sure} of its attempts failed for the app's own reasons (TID ${n.taskId} just ended ${n.state})`,
      );
  }
}
