/**
 * The driver's safety invariants (PROTOCOL.md §6 I19-I23, I27) and its own bookkeeping rules,
 * checked on a whole state. O(state): for tests and the simulator's checks, not the hot path.
 */
import { isTaskFinished } from "../states.js";
import type { DriverRoleState } from "./state.js";

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
    if (tsm.successful.filter(Boolean).length !== tsm.tasksSuccessful) problems.push(`task set ${id}: tasksSuccessful is off`);
    tsm.copiesRunning.forEach((copies, index) => {
      const live = tsm.taskAttempts[index]!.filter((taskId) => !isTaskFinished(tsm.taskInfos[taskId]!.status)).length;
      // A success leaves copiesRunning as it was (as in Spark): only a pending index must match.
      if (!tsm.successful[index] && copies !== live) problems.push(`task set ${id} index ${index}: copiesRunning ${copies} != ${live} live attempts`);
      // At most one extra, speculative, copy (flint never starts one, but the rule allows it).
      if (live > 2) problems.push(`I20: task set ${id} index ${index} has ${live} copies running`);
    });
    if (!tsm.isZombie) {
      const stage = `${tsm.jobId}/${tsm.stageIndex}`;
      if (activeStages.has(stage)) problems.push(`I23: two active task sets for stage ${stage}`);
      activeStages.add(stage);
      if (tsm.numFailures.some((n) => n >= s.protocol.taskMaxFailures)) problems.push(`I24: task set ${id} should have been aborted`);
    }
  }
  for (const key in sched.taskIdToTaskSetId) {
    const taskId = Number(key);
    const tsm = sched.taskSets[sched.taskIdToTaskSetId[taskId]!];
    const executorId = sched.taskIdToExecutorId[taskId];
    if (tsm === undefined || tsm.runningTasks[taskId] === undefined) problems.push(`TID ${taskId} is tracked but not running in its task set`);
    if (executorId === undefined || sched.executorIdToRunningTaskIds[executorId]?.[taskId] !== true) {
      problems.push(`I19: TID ${taskId} is not tracked on exactly its executor`);
    } else if (tsm !== undefined && tsm.taskInfos[taskId]?.executorId !== executorId) {
      problems.push(`I19: TID ${taskId} runs on ${executorId} but its attempt says otherwise`);
    }
  }
  for (const key in sched.taskIdToExecutorId) if (sched.taskIdToTaskSetId[Number(key)] === undefined) problems.push(`TID ${key} has an executor but no task set`);
  if (s.phase === "running" && s.appClient.alreadyDead) problems.push("a dead app client in a running driver");
  return problems;
}
