/**
 * The driver's safety invariants (docs/protocol.md §6 I19-I23, I27) and its own bookkeeping rules,
 * checked on a whole state. O(state): for tests and the simulator's checks, not the hot path.
 */
import { isTaskFinished } from "../states.js";
import { attemptSlot } from "./attempts.js";
import type { DriverRoleState, TaskSetManagerState } from "./state.js";
import { tidGet, tidKeys, type TidTable } from "./tidTable.js";

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
    if (e.freeCores < 0 || e.freeCores > e.totalCores)
      problems.push(`I22: executor ${id} has ${e.freeCores} free of ${e.totalCores} cores`);
    if (!e.launched && e.freeCores !== 0) problems.push(`I27: executor ${id} has free cores before LaunchedExecutor`);
    if (b.addressToExecutorId[e.address] !== id) problems.push(`executor ${id}'s address ${e.address} does not map back to it`);
  }
  if (cores !== b.totalCoreCount) problems.push(`totalCoreCount ${b.totalCoreCount} != ${cores}`);
  if (count !== b.totalRegisteredExecutors) problems.push(`totalRegisteredExecutors ${b.totalRegisteredExecutors} != ${count}`);
  for (const address in b.addressToExecutorId) {
    if (b.executors[b.addressToExecutorId[address]!] === undefined) problems.push(`address ${address} maps to an unknown executor`);
  }
  for (const id in b.executorsPendingToRemove)
    if (b.executors[id] === undefined) problems.push(`pending removal of unknown executor ${id}`);

  const poolIds = new Set(sched.pool);
  if (
    poolIds.size !== sched.pool.length ||
    Object.keys(sched.taskSets).some((id) => !poolIds.has(id)) ||
    sched.pool.some((id) => sched.taskSets[id] === undefined)
  ) {
    problems.push("the pool and the task sets differ");
  }
  const activeStages = new Set<string>();
  for (const id of sched.pool) {
    const tsm = sched.taskSets[id];
    if (tsm === undefined) continue;
    // The simulator runs this every few thousand steps over 100,000-task sets: one pass over the
    // attempt window and one over the indices, plain loops, no per-index arrays.
    const t = tsm.attempts;
    attemptTableProblems(tsm, problems);
    const maxFailures = s.protocol.taskMaxFailures;
    let successes = 0;
    let aborted = false;
    let chained = 0;
    for (let index = 0; index < tsm.copiesRunning.length; index++) {
      const successful = Boolean(tsm.successful[index]);
      if (successful) successes++;
      const copies = tsm.copiesRunning[index]!;
      // The index's attempts, newest first: each one of this index, each link to an older TID.
      let running = 0;
      for (let taskId = tsm.lastAttempt[index] ?? -1; taskId >= 0; ) {
        const slot = attemptSlot(t, taskId);
        if (slot < 0 || t.index[slot] !== index) {
          problems.push(`task set ${id} index ${index}: its attempts list TID ${taskId}, which is no attempt of the index`);
          break;
        }
        chained += 1;
        const status = t.status[slot];
        if (status !== null && status !== undefined && !isTaskFinished(status)) running += 1;
        const previous = t.previous[slot]!;
        if (previous >= taskId) break; // reported by attemptTableProblems; following it might never end
        taskId = previous;
      }
      // A success leaves copiesRunning as it was (as in Spark): only a pending index must match.
      if (!successful && copies !== running)
        problems.push(`task set ${id} index ${index}: copiesRunning ${copies} != ${running} live attempts`);
      // At most one extra, speculative, copy (flint never starts one, but the rule allows it).
      if (running > 2) problems.push(`I20: task set ${id} index ${index} has ${running} copies running`);
      if (!aborted && tsm.numFailures[index]! >= maxFailures) aborted = true;
    }
    for (let index = tsm.copiesRunning.length; index < tsm.successful.length; index++) if (tsm.successful[index]) successes++;
    for (let index = tsm.copiesRunning.length; index < tsm.numFailures.length && !aborted; index++)
      aborted = tsm.numFailures[index]! >= maxFailures;
    if (successes !== tsm.tasksSuccessful) problems.push(`task set ${id}: tasksSuccessful is off`);
    speculationProblems(s, tsm, problems);
    // Every attempt hangs off its index's list: the lists' lengths add up to the attempts held.
    if (chained !== t.size) problems.push(`task set ${id}: ${t.size} attempts held but ${chained} reachable from their indices`);
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
    const slot = tsm === undefined ? -1 : attemptSlot(tsm.attempts, taskId);
    if (tsm === undefined || slot < 0 || !tsm.attempts.running[slot])
      problems.push(`TID ${taskId} is tracked but not running in its task set`);
    const executorId = slot < 0 ? undefined : tsm!.attempts.executorId[slot];
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
      else if (executorOfAttempt(tsm, taskId) !== executorId)
        problems.push(`I19: TID ${taskId} is tracked on executor ${executorId} but its attempt runs elsewhere`);
    }
  }
  if (s.phase === "running" && s.appClient.alreadyDead) problems.push("a dead app client in a running driver");
  return problems;
}

/** The speculatable list holds each marked index once, exactly the marked set; nothing is marked while speculation is off. */
function speculationProblems(s: DriverRoleState, tsm: TaskSetManagerState, problems: string[]): void {
  const marked = tsm.speculatableQueue;
  if (marked.length > 0 && !s.protocol.speculation)
    problems.push(`task set ${tsm.taskSetId}: tasks marked speculatable while speculation is off`);
  let inSet = 0;
  for (const key in tsm.speculatable) if (tsm.speculatable[Number(key)] === true) inSet++;
  const unique = new Set(marked).size === marked.length;
  if (
    !unique ||
    inSet !== marked.length ||
    marked.some((index) => tsm.speculatable[index] !== true || !(index >= 0 && index < tsm.numTasks))
  )
    problems.push(`task set ${tsm.taskSetId}: the speculatable list [${marked.join(", ")}] and set differ`);
  if (tsm.pending.head > tsm.pending.items.length) problems.push(`task set ${tsm.taskSetId}: the pending queue's head is past its end`);
}

function executorOfAttempt(tsm: TaskSetManagerState | undefined, taskId: number): string | undefined {
  if (tsm === undefined) return undefined;
  const slot = attemptSlot(tsm.attempts, taskId);
  return slot < 0 ? undefined : tsm.attempts.executorId[slot];
}

/**
 * A task set's attempt table on its own: parallel arrays of one length, counts that match, the
 * running set exactly the unfinished attempts, and each attempt linked to the one before it of
 * the same index, numbered down to 0 (the walk from each index's `lastAttempt` is in the caller).
 */
function attemptTableProblems(tsm: TaskSetManagerState, problems: string[]): void {
  const t = tsm.attempts;
  const id = tsm.taskSetId;
  const numTasks = tsm.numTasks;
  const n = t.index.length;
  if (
    t.attemptNumber.length !== n ||
    t.executorId.length !== n ||
    t.host.length !== n ||
    t.status.length !== n ||
    t.previous.length !== n ||
    t.running.length !== n ||
    t.launchTimeMs.length !== n
  ) {
    problems.push(`task set ${id}'s attempts: the parallel arrays differ in length`);
    return;
  }
  let held = 0;
  let running = 0;
  for (let slot = 0; slot < n; slot++) {
    const taskId = t.base + slot;
    const index = t.index[slot]!;
    const status = t.status[slot]!;
    if (t.running[slot]) running += 1;
    if (index < 0) {
      if (status !== null || t.running[slot])
        problems.push(`task set ${id}'s attempts: empty slot of TID ${taskId} holds an attempt's data`);
      continue;
    }
    held += 1;
    if (index >= numTasks || status === null) {
      problems.push(`task set ${id}'s attempts: TID ${taskId} has index ${index} and status ${status}`);
      continue;
    }
    const finished = isTaskFinished(status);
    if (t.running[slot] && finished) problems.push(`task set ${id}: running TID ${taskId} has no live attempt`);
    if (!t.running[slot] && !finished) problems.push(`task set ${id}: live attempt TID ${taskId} is not running`);
    const previous = t.previous[slot]!;
    const before = previous - t.base;
    const chained =
      previous < 0
        ? t.attemptNumber[slot] === 0
        : previous < taskId &&
          attemptSlot(t, previous) >= 0 &&
          t.index[before] === index &&
          t.attemptNumber[before]! + 1 === t.attemptNumber[slot];
    if (!chained)
      problems.push(
        `task set ${id}: attempt TID ${taskId} (index ${index}, attempt ${t.attemptNumber[slot]}) does not follow TID ${previous}`,
      );
  }
  if (held !== t.size) problems.push(`task set ${id}'s attempts: the table counts ${t.size} attempts but holds ${held}`);
  if (running !== t.runningCount) problems.push(`task set ${id}'s running TIDs: the table counts ${t.runningCount} but holds ${running}`);
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
