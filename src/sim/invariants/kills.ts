/**
 * C2, checks across roles: every KillTask the driver sends is answered. The executor ends the task
 * and sends its final StatusUpdate (TaskKilled, or the outcome it had already reached), or the
 * executor is gone: its process ended or is stopping, or the driver dropped it. A kill still
 * unanswered KILL_ANSWER_BOUND_MS after it was sent, from an executor the driver still holds and
 * whose process is up, is a violation: the driver keeps the task's cores for ever.
 * Judged at the end of a run (the fuzzer runs LIVENESS_BOUND_MS past the faults' healing, and a
 * partition never holds a message longer than the connection timeout).
 */
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { comparableExecutor, type TasksInFlight } from "./tasks-across.js";
import type { Report } from "./report.js";

/** How long an answer to a KillTask may take: longer than any pause or connection timeout a healed run can still have pending. */
export const KILL_ANSWER_BOUND_MS = 300_000;

/** C2 at virtual time `nowMs` for one driver incarnation; `nodeAt` finds a node by address. */
export function checkKillsAnswered(
  driverName: string,
  d: DriverRoleState,
  led: TasksInFlight,
  nowMs: number,
  nodeAt: (address: string) => { alive: boolean; kind: string; state: unknown } | undefined,
  report: Report,
): void {
  for (const [taskId, kill] of led.kills) {
    if (nowMs - kill.atMs < KILL_ANSWER_BOUND_MS) continue;
    if (comparableExecutor(d, driverName, kill.executor, nodeAt(kill.executor)) === null) continue; // the executor is gone: nothing can answer
    report(
      "C2:kill-task-answered",
      `${driverName} sent KillTask for TID ${taskId} to ${kill.executor} at ${kill.atMs} ms; no final StatusUpdate came back in ${nowMs - kill.atMs} ms, and the executor is up and still held`,
      [kill.executor],
    );
    return;
  }
}
