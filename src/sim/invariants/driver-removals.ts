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
 * The kills are read from the KillExecutors the driver sends (a user kill's when the step's input is
 * the user's killExecutors); a user kill made with no master to tell (only logged) is read from the
 * executors it left pending with killedByDriver. O(effects) per step.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { lossMessage } from "../../protocol/driver/reasons.js";
import type { Report } from "./report.js";

export const D14 = "D14:loss-reason-follows-the-kill";
export const D15 = "D15:kill-asked-once";

/** The reason an executor the driver killed is removed with (Spark's ExecutorKilled). */
const KILLED_BY_DRIVER = lossMessage({ kind: "ExecutorKilled" });

/** What D14 and D15 remember about one driver incarnation. */
export interface RemovalLedger {
  /** Executors the driver asked to kill (or, with no master, marked for killing) and has not reported removed. */
  killing: Set<string>;
  /** Those of them the user's killExecutors killed (their loss must not count against the app). */
  userKilled: Set<string>;
}

export const newRemovalLedger = (): RemovalLedger => ({ killing: new Set(), userKilled: new Set() });

/** D14 and D15 for one driver step, its effects in order. */
export function checkRemovals(
  name: string,
  s: DriverRoleState,
  led: RemovalLedger,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  const userKill = input !== null && input.type === "command" && input.command.kind === "killExecutors" ? input.command : null;
  let asked = false;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send" && e.message.type === "KillExecutors") {
      asked = true;
      for (const executorId of e.message.executorIds) {
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
        report(D14, `${name} reported executor ${executorId} removed as "${KILLED_BY_DRIVER}", but the user's killExecutors never killed it`);
      led.killing.delete(executorId);
      led.userKilled.delete(executorId);
    }
  }
}
