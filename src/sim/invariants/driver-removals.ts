/**
 * The driver's executor kills and removals, judged from what it asked the master and what it
 * reported (docs/protocol.md §6, §1.5, §4.7):
 *
 * D14 `loss-reason-follows-the-kill`: an executor the user's killExecutors had the driver kill
 * (killedByDriver, Spark's executorsPendingToRemove = true) is reported removed as "Executor
 * killed by driver." (ExecutorKilled, whose lost attempts never count against the app), whatever
 * loss the master or the connection reports; every other executor is reported removed with the
 * loss that took it, never as the driver's kill (a heartbeat timeout's kill counts failures, so it
 * keeps its own reason).
 *
 * D15 `kill-asked-once`: the driver asks the master to kill an executor at most once while it holds
 * it (SPARK-9795: an executor pending removal is not killed again, nor counted again against the
 * executor target).
 *
 * I29 `user-kill-spares-busy-executors`: the user's killExecutors (the driver API's, never forced)
 * asks the master to kill only idle executors (SPARK-9552). Busy is judged from the check's own
 * record of the attempts each executor runs: those the driver sent it (LaunchTask) and has not
 * stepped on a final StatusUpdate for from it, until the executor is reported removed, not from the
 * scheduler's own maps (a scheduler that loses track of a running attempt must not excuse itself).
 *
 * The kills are read from the KillExecutors the driver sends (a user kill's when the step's input is
 * the user's killExecutors); a user kill made with no master to tell (only logged) is read from the
 * executors it left pending with killedByDriver. O(effects) per step, O(1) per launch and final update.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { lossMessage } from "../../protocol/driver/reasons.js";
import { isTaskFinished } from "../../protocol/states.js";
import type { Report } from "./report.js";

export const D14 = "D14:loss-reason-follows-the-kill";
export const D15 = "D15:kill-asked-once";
export const I29 = "I29:user-kill-spares-busy-executors";

/** The reason an executor the driver killed is removed with (Spark's ExecutorKilled). */
const KILLED_BY_DRIVER = lossMessage({ kind: "ExecutorKilled" });

/** What D14 and D15 remember about one driver incarnation. */
export interface RemovalLedger {
  /** Executors the driver asked to kill (or, with no master, marked for killing) and has not reported removed. */
  killing: Set<string>;
  /** Those of them the user's killExecutors killed (their loss must not count against the app). */
  userKilled: Set<string>;
  /** Per executor the driver holds: the TIDs it sent there that no final StatusUpdate from there has ended yet (I29). */
  running: Map<string, Set<number>>;
}

export const newRemovalLedger = (): RemovalLedger => ({ killing: new Set(), userKilled: new Set(), running: new Map() });

/** D14, D15 and I29 for one driver step, its effects in order. */
export function checkRemovals(
  name: string,
  s: DriverRoleState,
  led: RemovalLedger,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  const userKill = input !== null && input.type === "command" && input.command.kind === "killExecutors" ? input.command : null;
  if (input !== null && input.type === "message" && input.message.type === "StatusUpdate" && isTaskFinished(input.message.state))
    led.running.get(input.message.executorId)?.delete(input.message.taskId);
  let asked = false;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send" && e.message.type === "LaunchTask") {
      const task = e.message.task;
      let tids = led.running.get(task.executorId);
      if (tids === undefined) {
        tids = new Set();
        led.running.set(task.executorId, tids);
      }
      tids.add(task.taskId);
    } else if (e.type === "send" && e.message.type === "KillExecutors") {
      asked = true;
      for (const executorId of e.message.executorIds) {
        const busy = led.running.get(executorId);
        if (userKill !== null && busy !== undefined && busy.size > 0)
          report(
            I29,
            `${name} asked the master to kill executor ${executorId}, which runs TID ${busy.values().next().value}, for the user's killExecutors (not forced)`,
            [e.to],
          );
        if (led.killing.has(executorId))
          report(D15, `${name} asked the master again to kill executor ${executorId}, which it is already killing`, [e.to]);
        led.killing.add(executorId);
        if (userKill !== null) led.userKilled.add(executorId);
      }
    } else if (e.type === "log" && e.event === "noMasterYet" && e.fields["what"] === "KillExecutors" && userKill !== null && !asked) {
      // Killed with no master to tell: the executors it marked are in no message.
      for (const executorId of userKill.executorIds) {
        if (led.killing.has(executorId) || s.backend.executorsPendingToRemove[executorId] !== true) continue;
        led.killing.add(executorId);
        led.userKilled.add(executorId);
      }
    } else if (e.type === "notify" && e.notification.kind === "executorRemoved") {
      const { executorId, reason } = e.notification;
      const killedByUser = led.userKilled.has(executorId);
      if (killedByUser && reason !== KILLED_BY_DRIVER)
        report(
          D14,
          `${name} reported executor ${executorId}, which the user's killExecutors killed, removed for "${reason}", not as "${KILLED_BY_DRIVER}"`,
        );
      else if (!killedByUser && reason === KILLED_BY_DRIVER)
        report(
          D14,
          `${name} reported executor ${executorId} removed as "${KILLED_BY_DRIVER}", but the user's killExecutors never killed it`,
        );
      led.killing.delete(executorId);
      led.userKilled.delete(executorId);
      led.running.delete(executorId);
    }
  }
}
