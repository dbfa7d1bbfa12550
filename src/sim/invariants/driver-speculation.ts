/**
 * Speculation's checks (docs/protocol.md §6, §4.2, §4.5), judged against the history the driver
 * stepped on, not against its own marks:
 *
 * - D10 `speculative-copy-justified`: a second running attempt of a task (a speculative copy)
 *   launches only while speculation is on; only for a task that a speculation check found slow
 *   since its last copy: when the check ran, at least max(1, floor(speculationQuantile x tasks)) of
 *   its task set's attempts had succeeded, and the task's one running attempt had run longer than
 *   max(speculationMultiplier x their median duration, speculationMinTaskRuntimeMs), all measured
 *   here from the LaunchTasks and successes the driver emitted; never on a host that ran an
 *   attempt of the task; and only when every task of its task set that has not succeeded has an
 *   attempt running (pending tasks go first).
 * - D11 `other-attempts-killed-on-success`: when an attempt succeeds, every other attempt of its
 *   task still running is asked to stop in the same step (KillTask, interrupting its thread), or
 *   its unknown executor is logged.
 * - D12 `killed-attempt-counts-nothing`: an attempt asked to stop because another one succeeded
 *   counts nothing, whatever it ends with: it is no second success of its task (a result it
 *   delivers anyway ends it KILLED, with Spark's reason "TaskKilled (Finish but did not commit due
 *   to another attempt succeeded)"), and it never adds to the task's failure count.
 * - D13 `no-attempt-for-successful-task`: no attempt of a task that already succeeded is launched
 *   (a task marked for a copy that succeeds before an offer reaches it is dropped).
 *
 * O(effects) per step; a speculation timer step also walks the pool's running attempts, and a
 * step that launched a copy its task set's indices.
 */
import type { Effect, Input, TaskDescription } from "../../protocol/index.js";
import type { DriverRoleState, TaskSetManagerState } from "../../protocol/driver/state.js";
import { SPECULATION_TIMER } from "../../protocol/driver/state.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import { isTaskFinished } from "../../protocol/states.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

export const D10 = "D10:speculative-copy-justified";
export const D11 = "D11:other-attempts-killed-on-success";
export const D12 = "D12:killed-attempt-counts-nothing";
export const D13 = "D13:no-attempt-for-successful-task";

/** The end of an attempt that delivers its result after another attempt of its task succeeded (Spark's TaskKilled text). */
export const DID_NOT_COMMIT = "TaskKilled (Finish but did not commit due to another attempt succeeded)";

/** What D10-D12 remember about one driver incarnation. */
export interface SpeculationLedger {
  /** Virtual ms of each TID's LaunchTask (kept only while speculation is on). */
  launchMs: Map<number, number>;
  /** Per task set: how long each attempt that succeeded ran, ascending. */
  durationsMs: Map<string, number[]>;
  /** Per task set: the tasks a speculation check found slow since their last copy. */
  slow: Map<string, Set<number>>;
  /** TIDs asked to stop because another attempt succeeded -> their task's failure count then. */
  losers: Map<number, number>;
}

export const newSpeculationLedger = (): SpeculationLedger => ({
  launchMs: new Map(),
  durationsMs: new Map(),
  slow: new Map(),
  losers: new Map(),
});

/** The median of an ascending list: its middle value, or the mean of the two middle ones. */
function medianOf(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function insertSorted(list: number[], value: number): void {
  let at = list.length;
  while (at > 0 && list[at - 1]! > value) at--;
  list.splice(at, 0, value);
}

/** The attempts of an index, newest first (TIDs), by the task set's links. */
function attemptsOf(tsm: TaskSetManagerState, index: number): number[] {
  const t = tsm.attempts;
  const out: number[] = [];
  for (let taskId = tsm.lastAttempt[index] ?? -1; taskId >= 0; ) {
    const slot = attemptSlot(t, taskId);
    if (slot < 0) break;
    out.push(taskId);
    const previous = t.previous[slot]!;
    if (previous >= taskId) break;
    taskId = previous;
  }
  return out;
}

const isLive = (tsm: TaskSetManagerState, taskId: number): boolean => {
  const status = tsm.attempts.status[taskId - tsm.attempts.base];
  return status !== null && status !== undefined && !isTaskFinished(status);
};

/** D10-D12 for one driver step; `tids` is the driver ledger's, already updated for the step. */
export function checkSpeculation(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  led: SpeculationLedger,
  input: Input | null,
  effects: readonly Effect[],
  timeMs: number,
  report: Report,
): void {
  const on = s.protocol.speculation;
  let launches: TaskDescription[] | null = null;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "log" && e.event === "taskSetSubmitted") {
      // A task set id comes back when a job id is reused: its history starts again.
      const id = String(e.fields["taskSetId"]);
      led.durationsMs.delete(id);
      led.slow.delete(id);
    } else if (e.type === "send" && e.message.type === "LaunchTask") {
      const task = e.message.task;
      // A success is handled before the step's offers, never after a launch: the state after the step tells.
      if (s.scheduler.taskSets[task.taskSetId]?.successful[task.index] === true)
        report(D13, `${name} launched TID ${task.taskId} of task ${task.index} of ${task.taskSetId}, which had already succeeded`, [e.to]);
      if (!on) continue;
      if (launches === null) launches = [];
      launches.push(task);
      led.launchMs.set(task.taskId, timeMs);
    }
  }
  if (on && input !== null && input.type === "timer" && input.key === SPECULATION_TIMER) noteSlowTasks(s, led, launches, timeMs);
  if (launches !== null) checkCopies(name, s, led, launches, effects, report);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "taskEnded") continue;
    const n = e.notification;
    const taskSetId = tids.taskSetOf(n.taskId);
    const tsm = taskSetId === undefined ? undefined : s.scheduler.taskSets[taskSetId];
    if (tsm === undefined) continue;
    if (n.state === "FINISHED") {
      if (led.losers.has(n.taskId)) {
        led.losers.delete(n.taskId);
        report(
          D12,
          `${name}: TID ${n.taskId} of task ${n.index} of ${tsm.taskSetId} was asked to stop because another attempt succeeded, but ended FINISHED, as a second success`,
        );
      }
      if (on) {
        const launchedMs = led.launchMs.get(n.taskId);
        if (launchedMs !== undefined) {
          let durations = led.durationsMs.get(tsm.taskSetId);
          if (durations === undefined) led.durationsMs.set(tsm.taskSetId, (durations = []));
          insertSorted(durations, timeMs - launchedMs);
        }
        led.slow.get(tsm.taskSetId)?.delete(n.index);
      }
      checkOthersKilled(name, tsm, n.taskId, n.index, led, effects, report);
    } else {
      const before = led.losers.get(n.taskId);
      if (before === undefined) continue;
      led.losers.delete(n.taskId);
      if (
        deliveredResult(input, n.taskId) &&
        !effects.some((e) => e.type === "log" && e.event === "taskSetAborted") &&
        (n.state !== "KILLED" || n.reason !== DID_NOT_COMMIT)
      )
        report(
          D12,
          `${name}: TID ${n.taskId} of task ${n.index} of ${tsm.taskSetId} delivered its result after another attempt succeeded, but ended ${n.state} (${String(n.reason)}), not KILLED with "${DID_NOT_COMMIT}"`,
        );
      const now = tsm.numFailures[n.index] ?? 0;
      if (now !== before)
        report(
          D12,
          `${name}: TID ${n.taskId} of task ${n.index} of ${tsm.taskSetId} was asked to stop because another attempt succeeded, but its ${n.state} moved the task's failure count from ${before} to ${now}`,
        );
    }
  }
}

/**
 * Whether the step's input is the FINISHED update of `taskId` carrying its result (one whose result
 * is lost, or outgrows maxResultSizeBytes, fails before the task set judges it).
 */
function deliveredResult(input: Input | null, taskId: number): boolean {
  if (input === null || input.type !== "message") return false;
  const m = input.message;
  return m.type === "StatusUpdate" && m.taskId === taskId && m.state === "FINISHED" && m.data.kind === "result";
}

/**
 * A speculation check ran: the tasks whose one running attempt (launched before this step) has
 * run longer than the threshold are slow, in task sets with enough successes.
 */
function noteSlowTasks(s: DriverRoleState, led: SpeculationLedger, launches: TaskDescription[] | null, timeMs: number): void {
  const p = s.protocol;
  const launchedNow = new Set<number>();
  if (launches !== null) for (const task of launches) launchedNow.add(task.taskId);
  for (const id of s.scheduler.pool) {
    const tsm = s.scheduler.taskSets[id]!;
    if (tsm.numTasks === 1) continue;
    const durations = led.durationsMs.get(id);
    if (durations === undefined || durations.length < Math.max(1, Math.floor(p.speculationQuantile * tsm.numTasks))) continue;
    const thresholdMs = Math.max(p.speculationMultiplier * medianOf(durations), p.speculationMinTaskRuntimeMs);
    const t = tsm.attempts;
    for (let slot = 0; slot < t.running.length; slot++) {
      const taskId = t.base + slot;
      if (!t.running[slot] || launchedNow.has(taskId)) continue;
      const index = t.index[slot]!;
      if (tsm.successful[index]) continue;
      const live = attemptsOf(tsm, index).filter((tid) => !launchedNow.has(tid) && isLive(tsm, tid)).length;
      const launchedMs = led.launchMs.get(taskId);
      if (live !== 1 || launchedMs === undefined || timeMs - launchedMs <= thresholdMs) continue;
      let slow = led.slow.get(id);
      if (slow === undefined) led.slow.set(id, (slow = new Set()));
      slow.add(index);
    }
  }
}

/** D10 for the step's launches: each second running attempt of a task must be a justified copy. */
function checkCopies(
  name: string,
  s: DriverRoleState,
  led: SpeculationLedger,
  launches: TaskDescription[],
  effects: readonly Effect[],
  report: Report,
): void {
  let copiedIn: Set<TaskSetManagerState> | null = null;
  for (const task of launches) {
    const tsm = s.scheduler.taskSets[task.taskSetId];
    if (tsm === undefined) continue;
    const attempts = attemptsOf(tsm, task.index);
    const live = attempts.filter((tid) => isLive(tsm, tid)).length;
    if (live !== 2 || attempts[0] !== task.taskId) continue; // more than two: I20's to report
    const to = effects.find((e) => e.type === "send" && e.message.type === "LaunchTask" && e.message.task.taskId === task.taskId);
    const nodes = to !== undefined && to.type === "send" ? [to.to] : [];
    const what = `${name} launched TID ${task.taskId}, a second running attempt of task ${task.index} of ${task.taskSetId}`;
    const slow = led.slow.get(task.taskSetId);
    if (slow === undefined || !slow.has(task.index))
      report(D10, `${what}, which no speculation check found slow since its last copy`, nodes);
    slow?.delete(task.index);
    const t = tsm.attempts;
    const host = t.host[task.taskId - t.base];
    const before = attempts.slice(1).find((tid) => t.host[tid - t.base] === host);
    if (before !== undefined) report(D10, `${what}, on host ${host}, where its TID ${before} ran`, nodes);
    if (copiedIn === null) copiedIn = new Set();
    copiedIn.add(tsm);
  }
  if (copiedIn === null) return;
  for (const tsm of copiedIn) {
    if (tsm.isZombie) continue;
    for (let index = 0; index < tsm.numTasks; index++) {
      if (tsm.successful[index] || tsm.copiesRunning[index] !== 0) continue;
      report(D10, `${name} launched a speculative copy in ${tsm.taskSetId} while its task ${index} was pending with no attempt running`);
      break;
    }
  }
}

/** D11 for one success: the task's other running attempts are asked to stop in this step. */
function checkOthersKilled(
  name: string,
  tsm: TaskSetManagerState,
  winner: number,
  index: number,
  led: SpeculationLedger,
  effects: readonly Effect[],
  report: Report,
): void {
  if (tsm.lastAttempt[index] === winner && tsm.attempts.previous[winner - tsm.attempts.base] === -1) return; // its only attempt
  for (const taskId of attemptsOf(tsm, index)) {
    if (taskId === winner || !isLive(tsm, taskId)) continue;
    led.losers.set(taskId, tsm.numFailures[index] ?? 0);
    const killed = effects.some(
      (e) =>
        (e.type === "send" && e.message.type === "KillTask" && e.message.taskId === taskId && e.message.interruptThread) ||
        (e.type === "log" && e.event === "killTaskOnUnknownExecutor" && e.fields["taskId"] === taskId),
    );
    if (!killed)
      report(
        D11,
        `${name}: TID ${winner} of task ${index} of ${tsm.taskSetId} succeeded, but its other running attempt TID ${taskId} was not asked to stop (KillTask, interrupting)`,
      );
  }
}
