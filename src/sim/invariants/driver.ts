/**
 * The driver's safety invariants (docs/protocol.md §6 I19-I27), one documented function each, checked
 * after every driver step against the driver's state, its effects and a small ledger of what the
 * driver launched and heard. A step costs O(effects + pool); the whole-state check of
 * src/protocol/driver/invariants.ts runs every few hundred steps.
 */
import type { Effect, Input, StatusUpdate, TaskDescription } from "../../protocol/index.js";
import type { DriverRoleState, TaskSetManagerState } from "../../protocol/driver/state.js";
import { isTaskFinished } from "../../protocol/states.js";
import { attemptSlot } from "../../protocol/driver/attempts.js";
import { IntFlags, TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** What the checks remember about one driver incarnation. */
export interface DriverLedger {
  /**
   * Every TID this driver launched (its task set, index and executor: I19, I21, I24, I26), and the
   * TIDs a finished StatusUpdate was already delivered for (I26). Flat arrays indexed by TID.
   */
  tids: TidLedger;
  /** Per task set: the tasksSuccessful count after the last step, and the indices seen successful (I21). */
  successes: Map<string, { count: number; indices: IntFlags }>;
  /** Jobs this driver reported ended (I21 at job level: one outcome per job). */
  jobsEnded: Set<string>;
  /** Executors registered after the last step (I25 looks for losses). */
  registeredExecutors: number;
  /**
   * Free cores of each executor as the last step that could move them left them: only a LaunchTask,
   * a StatusUpdate, RegisterExecutor or LaunchedExecutor moves them, and each names its executor (I26).
   * A prototype-less record, not a Map: it is written on nearly every driver step, and a store
   * under an executor id (a decimal string) costs a fraction of a Map.set.
   */
  freeCores: Record<string, number>;
  /** Executors the driver's HeartbeatReceiver declared lost (heartbeat timeout) and that have not registered again since (I27). */
  heartbeatLost: Set<string>;
}

export const newDriverLedger = (): DriverLedger => ({
  tids: new TidLedger(),
  successes: new Map(),
  jobsEnded: new Set(),
  registeredExecutors: 0,
  freeCores: Object.create(null) as Record<string, number>,
  heartbeatLost: new Set(),
});

export interface DriverStepView {
  name: string;
  s: DriverRoleState;
  input: Input | null;
  effects: readonly Effect[];
  ledger: DriverLedger;
  report: Report;
}

/** I19: every launch gets a fresh TID, and the attempt runs on the one executor it was sent to. */
export function checkTaskIdFresh(
  v: DriverStepView,
  task: TaskDescription,
  to: string,
  tsm: TaskSetManagerState | undefined = v.s.scheduler.taskSets[task.taskSetId],
): void {
  const tids = v.ledger.tids;
  if (tids.launched(task.taskId))
    v.report(
      "I19:task-attempt-on-one-executor",
      `${v.name} launched TID ${task.taskId} again (on ${task.executorId}, before on ${tids.executorOf(task.taskId)})`,
      [to],
    );
  const slot = tsm === undefined ? -1 : attemptSlot(tsm.attempts, task.taskId);
  const recordedOn = slot < 0 ? undefined : tsm!.attempts.executorId[slot];
  if (recordedOn !== undefined && recordedOn !== task.executorId)
    v.report(
      "I19:task-attempt-on-one-executor",
      `${v.name} sent TID ${task.taskId} to ${task.executorId} but records it on ${recordedOn}`,
      [to],
    );
  tids.launch(task.taskId, task.taskSetId, task.index, task.executorId);
}

/**
 * I20: a task index never gets a second normal attempt while one runs: one running attempt per
 * index, or two while speculation is on (the second a speculative copy, which D10 judges).
 */
export function checkOneRunningAttempt(
  v: DriverStepView,
  task: TaskDescription,
  to: string,
  tsm: TaskSetManagerState | undefined = v.s.scheduler.taskSets[task.taskSetId],
): void {
  const last = tsm?.lastAttempt[task.index];
  if (tsm === undefined || last === undefined) return;
  // The index's attempts, newest first (each links to an older TID; a link that does not is the
  // whole-state check's to report, and ends the walk here).
  const t = tsm.attempts;
  let live = 0;
  for (let taskId = last; taskId >= 0; ) {
    const slot = attemptSlot(t, taskId);
    if (slot < 0) break;
    const status = t.status[slot];
    if (status !== null && status !== undefined && !isTaskFinished(status)) live++;
    const previous = t.previous[slot]!;
    if (previous >= taskId) break;
    taskId = previous;
  }
  if (live > (v.s.protocol.speculation ? 2 : 1))
    v.report(
      "I20:one-running-attempt-per-index",
      `${v.name} runs ${live} attempts of ${task.taskSetId} index ${task.index} at once (TID ${task.taskId} just launched)`,
      [to],
    );
}

/** I22: an executor's free cores stay within [0, totalCores]. */
export function checkFreeCores(v: DriverStepView, executorId: string): void {
  const e = v.s.backend.executors[executorId];
  if (e !== undefined && (e.freeCores < 0 || e.freeCores > e.totalCores))
    v.report("I22:free-cores-in-bounds", `${v.name}: executor ${executorId} has ${e.freeCores} free of ${e.totalCores} cores`, [e.address]);
}

/** I27: no task is offered to an executor that is unknown, being killed, or not yet fully built (LaunchedExecutor). */
export function checkOfferedExecutorUsable(v: DriverStepView, task: TaskDescription, to: string): void {
  const b = v.s.backend;
  const e = b.executors[task.executorId];
  if (e === undefined)
    v.report("I27:no-task-to-dead-executor", `${v.name} sent TID ${task.taskId} to unregistered executor ${task.executorId}`, [to]);
  else if (b.executorsPendingToRemove[task.executorId] !== undefined)
    v.report("I27:no-task-to-dead-executor", `${v.name} sent TID ${task.taskId} to executor ${task.executorId}, which it is killing`, [to]);
  else if (!e.launched)
    v.report("I27:no-task-to-dead-executor", `${v.name} sent TID ${task.taskId} to executor ${task.executorId} before LaunchedExecutor`, [
      to,
    ]);
  else if (e.address !== to)
    v.report(
      "I27:no-task-to-dead-executor",
      `${v.name} sent TID ${task.taskId} for executor ${task.executorId} to ${to}, not its address ${e.address}`,
      [to],
    );
}

/**
 * I27 (lost half): no task is offered to an executor the driver declared lost on a heartbeat
 * timeout: once the scheduler has failed its tasks, the DriverEndpoint must not use it (SPARK-27348).
 */
export function checkNotHeartbeatLost(v: DriverStepView, task: TaskDescription, to: string): void {
  if (v.ledger.heartbeatLost.has(task.executorId))
    v.report(
      "I27:no-task-to-lost-executor",
      `${v.name} sent TID ${task.taskId} to executor ${task.executorId}, which its heartbeat timeout declared lost`,
      [to],
    );
}

/**
 * I21: at most one successful result per task index is counted: a task set's success count moves
 * by at most one per step, and never for an index already counted. Also one outcome per job.
 */
export function checkOneSuccessPerIndex(v: DriverStepView, taskSetId: string, index: number): void {
  const tsm = v.s.scheduler.taskSets[taskSetId];
  if (tsm === undefined) return;
  let seen = v.ledger.successes.get(taskSetId);
  if (seen === undefined) {
    seen = { count: 0, indices: new IntFlags() };
    v.ledger.successes.set(taskSetId, seen);
  }
  const delta = tsm.tasksSuccessful - seen.count;
  if (delta > 1 || (delta === 1 && seen.indices.has(index)) || tsm.tasksSuccessful > tsm.numTasks) {
    v.report(
      "I21:one-success-per-index",
      `${v.name}: task set ${taskSetId} counted ${tsm.tasksSuccessful} successes (was ${seen.count}) on a result for index ${index}${seen.indices.has(index) ? ", already successful" : ""}`,
    );
  }
  if (tsm.successful[index] === true) seen.indices.add(index);
  seen.count = tsm.tasksSuccessful;
}

/** I21 at job level: a job ends once, succeeded or failed. */
export function checkJobEndsOnce(v: DriverStepView, jobId: string): void {
  if (v.ledger.jobsEnded.has(jobId)) v.report("I21:one-success-per-index", `${v.name} reported job ${jobId} ended a second time`);
  v.ledger.jobsEnded.add(jobId);
}

/** I23: at most one active (non-zombie) task set per stage. */
export function checkOneActiveTaskSet(v: DriverStepView): void {
  const sched = v.s.scheduler;
  if (sched.pool.length < 2) return;
  const active = new Set<string>();
  for (const id of sched.pool) {
    const tsm = sched.taskSets[id];
    if (tsm === undefined || tsm.isZombie) continue;
    const stage = `${tsm.jobId}/${tsm.stageIndex}`;
    if (active.has(stage)) v.report("I23:one-active-task-set-per-stage", `${v.name} has two active task sets for stage ${stage}`);
    active.add(stage);
  }
}

/** I25: once an executor is lost, none of its tasks is still tracked as running on it. */
export function checkLostExecutorTasksRequeued(v: DriverStepView): void {
  const sched = v.s.scheduler;
  for (const executorId in sched.executorIdToRunningTaskIds) {
    if (v.s.backend.executors[executorId] !== undefined) continue;
    const running = sched.executorIdToRunningTaskIds[executorId]!;
    if (running.length > 0)
      v.report("I25:lost-executor-tasks-requeued", `${v.name}: executor ${executorId} is gone but TID ${running[0]} still runs on it`);
  }
}

/**
 * I26: a status update for an unknown or already finished TID changes nothing: no success is
 * counted and the executor's free cores move only by the tasks this step launched on it.
 */
export function checkStaleStatusUpdate(v: DriverStepView, executorId: string, freeCoresBefore: number | undefined): void {
  const e = v.s.backend.executors[executorId];
  if (e === undefined || freeCoresBefore === undefined) return;
  let launchedCpus = 0;
  for (const fx of v.effects)
    if (fx.type === "send" && fx.message.type === "LaunchTask" && fx.message.task.executorId === executorId)
      launchedCpus += fx.message.task.cpus;
  if (e.freeCores !== freeCoresBefore - launchedCpus)
    v.report(
      "I26:stale-status-update-changes-nothing",
      `${v.name}: a stale status update moved executor ${executorId}'s free cores from ${freeCoresBefore} to ${e.freeCores} (${launchedCpus} launched)`,
      [e.address],
    );
}

/**
 * I24: a task index that has failed taskMaxFailures times, with failures that count, has aborted
 * its task set (a zombie: no new attempt) and failed the job that depends on it. Checked on every
 * step that ended an attempt of the index without success.
 */
export function checkFailedTaskAborts(v: DriverStepView, taskSetId: string, index: number): void {
  const tsm = v.s.scheduler.taskSets[taskSetId];
  if (tsm === undefined) return;
  const failures = tsm.numFailures[index] ?? 0;
  const max = v.s.protocol.taskMaxFailures;
  if (failures < max) return;
  if (!tsm.isZombie)
    v.report(
      "I24:task-set-aborted-at-max-failures",
      `${v.name}: index ${index} of ${taskSetId} failed ${failures} times (limit ${max}) but its task set is still active`,
    );
  const job = v.s.jobs.active[tsm.jobId];
  if (job !== undefined && job.currentStage === tsm.stageIndex)
    v.report(
      "I24:task-set-aborted-at-max-failures",
      `${v.name}: index ${index} of ${taskSetId} failed ${failures} times (limit ${max}) but job ${tsm.jobId} still runs that stage`,
    );
}

/** Every driver check for one step (I29, the user's kill, is judged in driver-removals.ts). */
export function checkDriverStep(v: DriverStepView): void {
  const input = v.input;
  const tids = v.ledger.tids;
  let stale = false;
  let staleBefore: number | undefined;
  let update: StatusUpdate | null = null;
  let finished = false;
  // The executor the input names, if the input can move its free cores.
  let touched: string | null = null;
  if (input?.type === "message") {
    const m = input.message;
    if (m.type === "StatusUpdate") {
      update = m;
      touched = m.executorId;
      finished = isTaskFinished(m.state);
      // Stale: already finished, never launched by this incarnation, or launched on another executor.
      if (finished && (tids.finished(m.taskId) || tids.executorOf(m.taskId) !== m.executorId)) {
        stale = true;
        staleBefore = v.ledger.freeCores[m.executorId];
      }
    } else if (m.type === "RegisterExecutor" || m.type === "LaunchedExecutor") touched = m.executorId;
    // An accepted registration under a lost executor's id (a later leader may reuse ids, §3.5.6) is a new executor.
    if (m.type === "RegisterExecutor" && v.ledger.heartbeatLost.size > 0 && acceptedRegistration(v.effects))
      v.ledger.heartbeatLost.delete(m.executorId);
  }
  let launches = 0;
  const effects = v.effects;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send") {
      if (e.message.type !== "LaunchTask") continue;
      const task = e.message.task;
      launches++;
      const tsm = v.s.scheduler.taskSets[task.taskSetId];
      checkTaskIdFresh(v, task, e.to, tsm);
      checkOneRunningAttempt(v, task, e.to, tsm);
      // Before I27's other half: the lost executor is also pending-to-remove after the step, which hides why.
      if (v.ledger.heartbeatLost.size > 0) checkNotHeartbeatLost(v, task, e.to);
      checkOfferedExecutorUsable(v, task, e.to);
      checkFreeCores(v, task.executorId);
    } else if (e.type === "log") {
      if (e.event === "executorHeartbeatTimedOut") v.ledger.heartbeatLost.add(String(e.fields["executorId"]));
    } else if (e.type === "notify") {
      const n = e.notification;
      if (n.kind === "jobSucceeded" || n.kind === "jobFailed") checkJobEndsOnce(v, n.jobId);
      else if (n.kind === "taskEnded" && n.state !== "FINISHED") {
        const taskSetId = tids.taskSetOf(n.taskId);
        if (taskSetId !== undefined) checkFailedTaskAborts(v, taskSetId, n.index);
      }
    }
  }
  if (update !== null) {
    checkFreeCores(v, update.executorId);
    if (finished) {
      const taskSetId = tids.taskSetOf(update.taskId);
      if (taskSetId !== undefined) checkOneSuccessPerIndex(v, taskSetId, tids.indexOf(update.taskId));
      if (stale) checkStaleStatusUpdate(v, update.executorId, staleBefore);
      // Only an update for a TID this incarnation launched there ends it: a late update of an earlier
      // incarnation's TID (its executor outlived it and reports to the relaunched driver at the same
      // address) must not make the same TID stale once this incarnation launches it.
      else tids.finish(update.taskId);
    }
  }
  checkOneActiveTaskSet(v);
  // Refresh the ledger's free cores of every executor this step could have moved.
  if (touched !== null) rememberFreeCores(v, touched);
  if (launches > 0) {
    // Once per executor in a run of launches to it (a finished task's cores usually go to the next task at once).
    let last = touched;
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      if (e.type !== "send" || e.message.type !== "LaunchTask" || e.message.task.executorId === last) continue;
      last = e.message.task.executorId;
      rememberFreeCores(v, last);
    }
  }
  const registered = v.s.backend.totalRegisteredExecutors;
  if (registered < v.ledger.registeredExecutors) checkLostExecutorTasksRequeued(v);
  v.ledger.registeredExecutors = registered;
}

const acceptedRegistration = (effects: readonly Effect[]): boolean =>
  effects.some((e) => e.type === "send" && e.message.type === "RegisteredExecutor");

function rememberFreeCores(v: DriverStepView, executorId: string): void {
  const e = v.s.backend.executors[executorId];
  if (e === undefined) delete v.ledger.freeCores[executorId];
  else v.ledger.freeCores[executorId] = e.freeCores;
}
