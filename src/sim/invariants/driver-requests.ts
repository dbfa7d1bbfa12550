/**
 * D6 `executor-requests-follow-the-target` (docs/protocol.md §6, §1.5): the executor total the
 * driver asks the master for follows the user's requests, judged from the commands it stepped on.
 * The target is the last requestTotalExecutors' total; the user's killExecutors lowers it by the
 * executors it asks the master to kill (counting a target never set as 0, as Spark does), and
 * nothing else moves it. Every RequestExecutors the driver sends (after such a command, or when it
 * re-registers under a new app id) carries the target, and none is sent while there is none. The
 * user's killExecutors kills (or is already killing) every executor it names that the driver holds
 * and that runs no task, and asks the master to kill only executors it named, each once.
 * O(effects) per step; O(named executors) on a killExecutors.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { isExecutorBusy } from "../../protocol/driver/taskScheduler.js";
import type { Report } from "./report.js";

/** What D6 remembers about one driver incarnation: the target it may ask for (null: none yet). */
export interface ExecutorTarget {
  total: number | null;
}

const CHECK = "D6:executor-requests-follow-the-target";

/** D6 for one driver step. */
export function checkExecutorRequests(
  name: string,
  s: DriverRoleState,
  target: ExecutorTarget,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  const command = input?.type === "command" ? input.command : null;
  // A dead or stopped driver ignores commands (and neither command ends it).
  const handled = s.phase === "running";
  if (command !== null && handled && command.kind === "requestTotalExecutors") target.total = command.total;
  if (command !== null && handled && command.kind === "killExecutors") {
    const named = new Set<string>(command.executorIds);
    let killed: readonly string[] | null = null;
    for (const e of effects) if (e.type === "send" && e.message.type === "KillExecutors") killed = e.message.executorIds;
    if (killed !== null) {
      if (new Set(killed).size !== killed.length || killed.some((id) => !named.has(id)))
        report(
          CHECK,
          `${name} asked the master to kill executors ${killed.join(",")} for the user's killExecutors of ${command.executorIds.join(",")}`,
        );
      target.total = Math.max(0, (target.total ?? 0) - killed.length);
    } else if (effects.some((e) => e.type === "log" && e.event === "noMasterYet")) {
      // Killed with no master to tell: how many is not in the effects (the driver's count is taken as is).
      target.total = s.backend.requestedTotalExecutors;
    }
    const b = s.backend;
    for (const id of named) {
      if (b.executors[id] === undefined || isExecutorBusy(s.scheduler, id) || b.executorsPendingToRemove[id] !== undefined) continue;
      report(CHECK, `${name} holds executor ${id}, which runs no task, but the user's killExecutors of it did not kill it`);
    }
  }
  for (const e of effects) {
    if (e.type !== "send" || e.message.type !== "RequestExecutors") continue;
    if (e.message.requestedTotal !== target.total)
      report(
        CHECK,
        `${name} asked the master for ${e.message.requestedTotal} executors in total, but the user's target is ${target.total ?? "not set"}`,
        [e.to],
      );
  }
}
