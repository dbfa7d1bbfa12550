/**
 * The driver's safety invariants (PROTOCOL.md §6 I19-I23, I27) and its own bookkeeping rules,
 * checked on a whole state. O(state): for tests and the simulator's checks, not the hot path.
 */
import { isTaskFinished } from "../states.js";
import type { DriverRoleState } from "./state.js";
import { tidGet, tidKeys } from "./tidTable.js";

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
    let running = 0;
    for (const key in tsm.runningTasks) {
      running += 1;
      const info = tsm.taskInfos[Number(key)];
      if (info === undefined || isTaskFinished(info.status)) problems.push(`task set ${id}: running TID ${key} has no live attempt`);
    }
    if (running !== tsm.runningCount) problems.push(`task set ${id}: runningCount ${tsm.runningCount} != ${running}`);
    // The simulator runs this every few thousand steps over 100,000-task sets: plain loops, no per-index arrays.
    let successes = 0;
    for (let index = 0; index < tsm.successful.length; index++) if (tsm.successful[index]) successes++;
    if (successes !== tsm.tasksSuccessful) problems.push(`task set ${id}: tasksSuccessful is off`);
    for (let index = 0; index < tsm.copiesRunning.length; index++) {
      const copies = tsm.copiesRunning[index]!;
      const attempts = tsm.taskAttempts[index]!;
      let live = 0;
      for (let i = 0; i < attempts.length; i++) if (!isTaskFinished(tsm.taskInfos[attempts[i]!]!.status)) live++;
      // A success leaves copiesRunning as it was (as in Spark): only a pending index must match.
      if (!tsm.successful[index] && copies !== live) problems.push(`task set ${id} index ${index}: copiesRunning ${copies} != ${live} live attempts`);
      // At most one extra, speculative, copy (flint never starts one, but the rule allows it).
      if (live > 2) problems.push(`I20: task set ${id} index ${index} has ${live} copies running`);
    }
    if (!tsm.isZombie) {
      const stage = `${tsm.jobId}/${tsm.stageIndex}`;
      if (activeStages.has(stage)) problems.push(`I23: two active task sets for stage ${stage}`);
      activeStages.add(stage);
      const maxFailures = s.protocol.taskMaxFailures;
      let aborted = false;
      for (let index = 0; index < tsm.numFailures.length && !aborted; index++) aborted = tsm.numFailures[index]! >= maxFailures;
      if (aborted) problems.push(`I24: task set ${id} should have been aborted`);
    }
  }
  const tids = sched.taskIdToTaskSetId;
  let tracked = 0;
  for (let i = 0; i < tids.slots.length; i++) {
    if (tids.slots[i] !== null) tracked += 1;
    if (i < tids.head && tids.slots[i] !== null) problems.push(`TID ${tids.base + i} sits before the TID table's head`);
  }
  if (tracked !== tids.size) problems.push(`the TID table counts ${tids.size} TIDs but holds ${tracked}`);
  for (const taskId of tidKeys(tids)) {
    const tsm = sched.taskSets[tidGet(tids, taskId)!];
    if (tsm === undefined || tsm.runningTasks[taskId] === undefined) problems.push(`TID ${taskId} is tracked but not running in its task set`);
    const executorId = tsm?.taskInfos[taskId]?.executorId;
    if (executorId === undefined || sched.executorIdToRunningTaskIds[executorId]?.[taskId] !== true) {
      problems.push(`I19: TID ${taskId} is not tracked on exactly its executor`);
    }
  }
  // Exactly: an executor tracks no TID the scheduler has cleaned up, nor one of another executor.
  for (const executorId in sched.executorIdToRunningTaskIds) {
    for (const key in sched.executorIdToRunningTaskIds[executorId]!) {
      const taskId = Number(key);
      const taskSetId = tidGet(tids, taskId);
      if (taskSetId === undefined) problems.push(`TID ${key} is tracked on executor ${executorId} but no task set`);
      else if (sched.taskSets[taskSetId]?.taskInfos[taskId]?.executorId !== executorId) problems.push(`I19: TID ${key} is tracked on executor ${executorId} but its attempt runs elsewhere`);
    }
  }
  if (s.phase === "running" && s.appClient.alreadyDead) problems.push("a dead app client in a running driver");
  return problems;
}
