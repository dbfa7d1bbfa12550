/**
 * The driver's safety invariants (PROTOCOL.md §6 I19-I23, I27) and its own bookkeeping rules,
 * checked on a whole state. O(state): for tests and the simulator's checks, not the hot path.
 */
import { isTaskFinished } from "../states.js";
import type { DriverRoleState } from "./state.js";
import { tidGet, tidHas, tidKeys, type TidTable } from "./tidTable.js";

/** Every broken rule, as a sentence; empty when the state is sound. */
export function checkDriverInvariants(s: DriverRoleState): string[] {
  const problems: string[] = [];
  const b = s.backend;
  const sched = s.scheduler;
  let cores = 0;
  let count = 0;
  for (const id in b.executors) {
    const e = b.executors[id]!;
    cores += e.totalCores;
    count += 1;
    if (e.freeCores < 0 || e.freeCores > e.totalCores) problems.push(`I22: executor ${id} has ${e.freeCores} free of ${e.totalCores} cores`);
    if (!e.launched && e.freeCores !== 0) problems.push(`I27: executor ${id} has free cores before LaunchedExecutor`);
    if (b.addressToExecutorId[e.address] !== id) problems.push(`executor ${id}'s address ${e.address} does not map back to it`);
  }
  if (cores !== b.totalCoreCount) problems.push(`totalCoreCount ${b.totalCoreCount} != ${cores}`);
  if (count !== b.totalRegisteredExecutors) problems.push(`totalRegisteredExecutors ${b.totalRegisteredExecutors} != ${count}`);
  for (const address in b.addressToExecutorId) {
    if (b.executors[b.addressToExecutorId[address]!] === undefined) problems.push(`address ${address} maps to an unknown executor`);
  }
  for (const id in b.executorsPendingToRemove) if (b.executors[id] === undefined) problems.push(`pending removal of unknown executor ${id}`);

  const poolIds = new Set(sched.pool);
  if (poolIds.size !== sched.pool.length || Object.keys(sched.taskSets).some((id) => !poolIds.has(id)) || sched.pool.some((id) => sched.taskSets[id] === undefined)) {
    problems.push("the pool and the task sets differ");
  }
  const activeStages = new Set<string>();
  for (const id of sched.pool) {
    const tsm = sched.taskSets[id];
    if (tsm === undefined) continue;
    // The simulator runs this every few thousand steps over 100,000-task sets: one pass over each
    // window and one over the indices, plain loops, no per-index arrays.
    const running = tsm.runningTasks;
    const infos = tsm.taskInfos;
    let held = 0;
    for (let i = 0; i < running.slots.length; i++) {
      if (running.slots[i] === null) continue;
      held += 1;
      const taskId = running.base + i;
      if (i < running.head) problems.push(`task set ${id}'s running TIDs: TID ${taskId} sits before the window's head`);
      const info = tidGet(infos, taskId);
      if (info === undefined || isTaskFinished(info.status)) problems.push(`task set ${id}: running TID ${taskId} has no live attempt`);
    }
    if (held !== running.size) problems.push(`task set ${id}'s running TIDs: the window counts ${running.size} TIDs but holds ${held}`);
    held = 0;
    for (let i = 0; i < infos.slots.length; i++) {
      const info = infos.slots[i];
      if (info === null || info === undefined) continue;
      held += 1;
      const taskId = infos.base + i;
      if (i < infos.head) problems.push(`task set ${id}'s attempts: TID ${taskId} sits before the window's head`);
      if (info.taskId !== taskId) problems.push(`task set ${id}: the attempt under TID ${taskId} says TID ${info.taskId}`);
      if (!isTaskFinished(info.status) && !tidHas(running, taskId)) problems.push(`task set ${id}: live attempt TID ${taskId} is not running`);
    }
    if (held !== infos.size) problems.push(`task set ${id}'s attempts: the window counts ${infos.size} TIDs but holds ${held}`);
    const maxFailures = s.protocol.taskMaxFailures;
    let successes = 0;
    let aborted = false;
    for (let index = 0; index < tsm.copiesRunning.length; index++) {
      const successful = Boolean(tsm.successful[index]);
      if (successful) successes++;
      const copies = tsm.copiesRunning[index]!;
      const attempts = tsm.taskAttempts[index]!;
      let live = 0;
      for (let i = 0; i < attempts.length; i++) if (!isTaskFinished(tidGet(infos, attempts[i]!)!.status)) live++;
      // A success leaves copiesRunning as it was (as in Spark): only a pending index must match.
      if (!successful && copies !== live) problems.push(`task set ${id} index ${index}: copiesRunning ${copies} != ${live} live attempts`);
      // At most one extra, speculative, copy (flint never starts one, but the rule allows it).
      if (live > 2) problems.push(`I20: task set ${id} index ${index} has ${live} copies running`);
      if (!aborted && tsm.numFailures[index]! >= maxFailures) aborted = true;
    }
    for (let index = tsm.copiesRunning.length; index < tsm.successful.length; index++) if (tsm.successful[index]) successes++;
    for (let index = tsm.copiesRunning.length; index < tsm.numFailures.length && !aborted; index++) aborted = tsm.numFailures[index]! >= maxFailures;
    if (successes !== tsm.tasksSuccessful) problems.push(`task set ${id}: tasksSuccessful is off`);
    if (!tsm.isZombie) {
      const stage = `${tsm.jobId}/${tsm.stageIndex}`;
      if (activeStages.has(stage)) problems.push(`I23: two active task sets for stage ${stage}`);
      activeStages.add(stage);
      if (aborted) problems.push(`I24: task set ${id} should have been aborted`);
    }
  }
  const tids = sched.taskIdToTaskSetId;
  tidTableProblems(tids, "the TID table", problems);
  for (const taskId of tidKeys(tids)) {
    const tsm = sched.taskSets[tidGet(tids, taskId)!];
    if (tsm === undefined || !tidHas(tsm.runningTasks, taskId)) problems.push(`TID ${taskId} is tracked but not running in its task set`);
    const executorId = tsm === undefined ? undefined : tidGet(tsm.taskInfos, taskId)?.executorId;
    if (executorId === undefined || !(sched.executorIdToRunningTaskIds[executorId]?.includes(taskId) ?? false)) {
      problems.push(`I19: TID ${taskId} is not tracked on exactly its executor`);
    }
  }
  // Exactly: an executor tracks no TID the scheduler has cleaned up, nor one of another executor.
  for (const executorId in sched.executorIdToRunningTaskIds) {
    const running = sched.executorIdToRunningTaskIds[executorId]!;
    for (let i = 0; i < running.length; i++) {
      const taskId = running[i]!;
      if (i > 0 && running[i - 1]! >= taskId) problems.push(`executor ${executorId}'s TIDs are not ascending at TID ${taskId}`);
      const taskSetId = tidGet(tids, taskId);
      const tsm = taskSetId === undefined ? undefined : sched.taskSets[taskSetId];
      if (taskSetId === undefined) problems.push(`TID ${taskId} is tracked on executor ${executorId} but no task set`);
      else if ((tsm === undefined ? undefined : tidGet(tsm.taskInfos, taskId)?.executorId) !== executorId) problems.push(`I19: TID ${taskId} is tracked on executor ${executorId} but its attempt runs elsewhere`);
    }
  }
  if (s.phase === "running" && s.appClient.alreadyDead) problems.push("a dead app client in a running driver");
  return problems;
}

/** A TID window's own bookkeeping: nothing before its head, and `size` counts what it holds. */
function tidTableProblems<T>(t: TidTable<T>, what: string, problems: string[]): void {
  let held = 0;
  for (let i = 0; i < t.slots.length; i++) {
    if (t.slots[i] === null) continue;
    held += 1;
    if (i < t.head) problems.push(`${what}: TID ${t.base + i} sits before the window's head`);
  }
  if (held !== t.size) problems.push(`${what}: the window counts ${t.size} TIDs but holds ${held}`);
}
