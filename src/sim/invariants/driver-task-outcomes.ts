/**
 * What the driver tells of its tasks' ends (docs/protocol.md §6, §4.4, §4.5):
 *
 * D16 `failed-attempt-says-why`: every attempt that ends other than FINISHED is reported
 * (`taskEnded`) with a reason that names a cause: not empty, and a killed attempt's
 * "TaskKilled (<why>)" with its why (the user, the stage's cancellation, another attempt's
 * success, a result over maxResultSize, a task never sent for its size...). O(1) per ended attempt.
 *
 * D17 `results-within-max-size`: a job succeeds only if, for each of its task sets, the results
 * the driver accepted (each `taskEnded` FINISHED on the StatusUpdate carrying that attempt's
 * result) come to at most maxResultSizeBytes (when set): past it, Spark's canFetchMoreResults
 * aborts the task set. The driver adds every fetched result, accepted or not, so its total is at
 * least this one. O(1) per accepted success, O(stages) when a job succeeds.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

export const D16 = "D16:failed-attempt-says-why";
export const D17 = "D17:results-within-max-size";

/** D17's tally for one driver incarnation: per running job, per task set, the bytes of the results the driver accepted. */
export type AcceptedResultBytes = Map<string, Map<string, number>>;

/** D16 and D17 for one driver step. */
export function checkTaskOutcomes(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  accepted: AcceptedResultBytes,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify") continue;
    const n = e.notification;
    if (n.kind === "taskEnded") {
      if (n.state !== "FINISHED") {
        if (n.reason === undefined || n.reason === "" || n.reason === EMPTY_KILL)
          report(
            D16,
            `${name} reported TID ${n.taskId} (task ${n.index} of job ${n.jobId}) ended ${n.state} for ${JSON.stringify(n.reason)}`,
          );
        continue;
      }
      if (input === null || input.type !== "message") continue;
      const m = input.message;
      if (m.type !== "StatusUpdate" || m.taskId !== n.taskId || m.state !== "FINISHED" || m.data.kind !== "result") continue;
      const taskSetId = tids.taskSetOf(n.taskId);
      if (taskSetId === undefined) continue;
      let byTaskSet = accepted.get(n.jobId);
      if (byTaskSet === undefined) {
        byTaskSet = new Map();
        accepted.set(n.jobId, byTaskSet);
      }
      byTaskSet.set(taskSetId, (byTaskSet.get(taskSetId) ?? 0) + m.data.sizeBytes);
    } else if (n.kind === "jobSucceeded") {
      const maxBytes = s.protocol.maxResultSizeBytes;
      const byTaskSet = accepted.get(n.jobId);
      accepted.delete(n.jobId);
      if (maxBytes <= 0 || byTaskSet === undefined) continue;
      for (const [taskSetId, bytes] of byTaskSet)
        if (bytes > maxBytes)
          report(
            D17,
            `${name}: job ${n.jobId} succeeded, but the results it accepted for ${taskSetId} come to ${bytes} bytes, over maxResultSizeBytes (${maxBytes})`,
          );
    } else if (n.kind === "jobFailed") accepted.delete(n.jobId);
  }
}

/** A kill's reason with nothing in it (Spark's TaskKilled(reason).toErrorString of an empty reason). */
const EMPTY_KILL = "TaskKilled ()";
