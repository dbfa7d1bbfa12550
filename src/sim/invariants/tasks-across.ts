/**
 * C1, checks across roles: the driver and its executors agree on which tasks run where, allowing
 * for the messages still on their way between them. The checks see every step, so they keep, per
 * driver incarnation, the messages that move a task between the two sides and have not been
 * stepped by their receiver yet (`TasksInFlight`): LaunchTasks the driver sent, and the final
 * StatusUpdates executors sent. A message lost with a broken connection stays in the ledger, but
 * its two ends are then told of the break, and the driver drops the executor before it can be
 * compared again (only executors the driver still holds are compared).
 *
 * For an executor the driver holds, whose process is up and not stopping:
 *  - its registered cores are the driver's totalCores for it;
 *  - every TID the driver thinks runs there runs there, or its LaunchTask or its final
 *    StatusUpdate is on the way;
 *  - every TID it runs, the driver thinks runs there (its final StatusUpdate is not sent yet), or
 *    is one a LOST update took out of the driver's scheduler while it still runs there (the driver's
 *    backend keeps it in lostExecutorTaskIds, holding its CPUs until its own final update);
 *  - every such TID the driver holds CPUs for runs there, or its LaunchTask or final StatusUpdate is on the way.
 * Checked when the driver steps on a final StatusUpdate from the executor (O(its cores)), and for
 * every pair at the end of a run.
 */
import type { Effect, Input, TaskState } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import type { ExecutorBackendState } from "../../protocol/executor/state.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import { isTaskFinished } from "../../protocol/states.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** What one driver incarnation's cross-role checks remember (C1, C2, C3). */
export interface TasksInFlight {
  /** LaunchTasks the driver sent, by executor address, that the executor has not stepped yet. */
  launches: Map<string, Set<number>>;
  /** Final StatusUpdates executors sent, by executor address, that the driver has not stepped yet. */
  finals: Map<string, Set<number>>;
  /** KillTasks sent and not answered by a final StatusUpdate yet: TID -> executor address and virtual time sent (C2). */
  kills: Map<number, { executor: string; atMs: number }>;
  /** Per task set, per index: failures that may count against the app under the retry rules (C3). */
  failures: Map<string, Map<number, number>>;
  /** Per task set: the bytes of every FINISHED result the driver stepped on (C3: an abort for maxResultSize). */
  resultBytes: Map<string, number>;
  /** Per job: its biggest serialized task, as submitted (C3: an abort for spark.rpc.message.maxSize). */
  biggestTaskBytes: Map<string, number>;
}

export const newTasksInFlight = (): TasksInFlight => ({
  launches: new Map(),
  finals: new Map(),
  kills: new Map(),
  failures: new Map(),
  resultBytes: new Map(),
  biggestTaskBytes: new Map(),
});

function add(m: Map<string, Set<number>>, key: string, taskId: number): void {
  let set = m.get(key);
  if (set === undefined) {
    set = new Set();
    m.set(key, set);
  }
  set.add(taskId);
}

/** The driver's side of one step: what it sent (LaunchTask, KillTask) and which final StatusUpdate it stepped on. */
export function noteDriverStep(led: TasksInFlight, input: Input | null, effects: readonly Effect[], timeMs: number): void {
  if (input !== null && input.type === "message" && input.message.type === "StatusUpdate" && isTaskFinished(input.message.state))
    led.finals.get(input.from)?.delete(input.message.taskId);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send") continue;
    const m = e.message;
    if (m.type === "LaunchTask") add(led.launches, e.to, m.task.taskId);
    else if (m.type === "KillTask" && led.finals.get(e.to)?.has(m.taskId) !== true && !led.kills.has(m.taskId))
      led.kills.set(m.taskId, { executor: e.to, atMs: timeMs });
  }
}

/** Whether an executor step moves a task between the sides (most do: it is checked cheaply). */
export function executorStepMovesTasks(input: Input | null, effects: readonly Effect[]): boolean {
  if (input !== null && input.type === "message" && input.message.type === "LaunchTask") return true;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send" && e.message.type === "StatusUpdate" && isTaskFinished(e.message.state)) return true;
  }
  return false;
}

/** The executor's side of one step: the LaunchTask it stepped on, the final StatusUpdates it sent (which answer a kill). */
export function noteExecutorStep(led: TasksInFlight, name: string, input: Input | null, effects: readonly Effect[]): void {
  if (input !== null && input.type === "message" && input.message.type === "LaunchTask")
    led.launches.get(name)?.delete(input.message.task.taskId);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send" || e.message.type !== "StatusUpdate" || !isTaskFinished(e.message.state)) continue;
    add(led.finals, name, e.message.taskId);
    led.kills.delete(e.message.taskId);
  }
}

/** The driver's status of a TID it launched on `executorId`, or null (unknown, or launched elsewhere). */
function driverStatus(d: DriverRoleState, tids: TidLedger, taskId: number, executorId: string): TaskState | null {
  if (tids.executorOf(taskId) !== executorId) return null;
  const tsm = d.scheduler.taskSets[tids.taskSetOf(taskId)!];
  if (tsm === undefined) return null;
  const slot = attemptSlot(tsm.attempts, taskId);
  return slot < 0 ? null : (tsm.attempts.status[slot] ?? null);
}

/** The executor as the C1 comparison needs it: up, not stopping, and the one the driver holds at that address. Else null. */
export function comparableExecutor(
  d: DriverRoleState,
  driverName: string,
  address: string,
  node: { alive: boolean; kind: string; state: unknown } | undefined,
): { executorId: string; e: ExecutorBackendState } | null {
  const executorId = d.backend.addressToExecutorId[address];
  if (executorId === undefined || node === undefined || !node.alive || node.kind !== "executor") return null;
  const e = node.state as ExecutorBackendState;
  if (e.stopping || e.driverAddress !== driverName || e.executorId !== executorId) return null;
  return { executorId, e };
}

/** C1 for one executor the driver holds (see the module's comment). */
export function checkTasksAgree(
  driverName: string,
  d: DriverRoleState,
  tids: TidLedger,
  led: TasksInFlight,
  address: string,
  executorId: string,
  e: ExecutorBackendState,
  report: Report,
): void {
  const data = d.backend.executors[executorId];
  if (data === undefined) return;
  const check = "C1:driver-and-executor-agree-on-tasks";
  if (data.totalCores !== e.cores)
    report(check, `${driverName} holds executor ${executorId} (${address}) with ${data.totalCores} cores, but it registered ${e.cores}`, [
      address,
    ]);
  const launches = led.launches.get(address);
  const finals = led.finals.get(address);
  for (const taskId of d.scheduler.executorIdToRunningTaskIds[executorId] ?? []) {
    const status = driverStatus(d, tids, taskId, executorId);
    if (status === null || isTaskFinished(status)) continue;
    if ((e.runningTaskIds as readonly number[]).includes(taskId) || launches?.has(taskId) === true || finals?.has(taskId) === true)
      continue;
    report(
      check,
      `${driverName} thinks TID ${taskId} runs on executor ${executorId} (${address}), which does not run it, and no LaunchTask or final StatusUpdate for it is on the way`,
      [address],
    );
    return;
  }
  const heldAfterLost: readonly number[] = d.backend.lostExecutorTaskIds[executorId] ?? [];
  for (const taskId of heldAfterLost) {
    if ((e.runningTaskIds as readonly number[]).includes(taskId) || launches?.has(taskId) === true || finals?.has(taskId) === true)
      continue;
    report(
      check,
      `${driverName} holds CPUs of executor ${executorId} (${address}) for TID ${taskId}, a LOST update's executor loss took out of its scheduler, but the executor does not run it and no LaunchTask or final StatusUpdate for it is on the way`,
      [address],
    );
    return;
  }
  for (const taskId of e.runningTaskIds) {
    const status = driverStatus(d, tids, taskId, executorId);
    if (status !== null && !isTaskFinished(status)) continue;
    // Still running where the driver knows it holds CPUs, though its scheduler failed it (a LOST update).
    if (heldAfterLost.includes(taskId)) continue;
    report(
      check,
      `executor ${executorId} (${address}) runs TID ${taskId}, which ${driverName} ${status === null ? "never launched there" : `thinks ended (${status})`}`,
      [address],
    );
    return;
  }
}
