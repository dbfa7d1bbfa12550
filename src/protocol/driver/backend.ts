/**
 * DriverEndpoint (CoarseGrainedSchedulerBackend, §1.5, §4.3): the executors this driver knows,
 * their free cores, the offer rounds and task launches, and executor removal.
 */
import { AssertionError } from "../assert.js";
import { hasBug } from "../config.js";
import { ignored, log, notify, send } from "../io.js";
import type { Address, ExecutorId } from "../ids.js";
import type { LaunchedExecutor, RegisterExecutor, StatusUpdate, TaskDescription } from "../messages.js";
import { shuffled } from "../random.js";
import { isTaskFinished } from "../states.js";
import { sendToMaster } from "./masterLink.js";
import { lossMessage, type ExecutorLossReason } from "./reasons.js";
import { MAX_EXECUTORS, type DriverStep, type ExecutorData } from "./state.js";
import {
  executorLost,
  isExecutorBusy,
  resourceOffers,
  resourceOffersForExecutor,
  statusUpdate,
  type WorkerOffer,
  taskNotLaunched,
} from "./taskScheduler.js";
import { abort } from "./taskSetManager.js";
import { tidGet } from "./tidTable.js";

/** The reason Spark gives when an executor's connection drops (3.x). */
export const DISASSOCIATED_MESSAGE =
  "Remote RPC client disassociated. Likely due to containers exceeding thresholds, or network issues. Check driver logs for WARN messages.";

/** RegisterExecutor (3.0+): a duplicate id is refused; a new executor gets no cores until LaunchedExecutor. */
export function onRegisterExecutor(d: DriverStep, from: Address, msg: RegisterExecutor): void {
  const b = d.s.backend;
  const executorId = msg.executorId;
  if (b.executors[executorId] !== undefined || b.totalRegisteredExecutors >= MAX_EXECUTORS) {
    const message =
      b.executors[executorId] !== undefined
        ? `Duplicate executor ID: ${executorId}`
        : `Too many executors (limit ${MAX_EXECUTORS}): ${executorId}`;
    d.fx.push(log("warn", "executorRegistrationRefused", { executorId, message }));
    d.fx.push(send(from, { type: "RegisterExecutorFailed", message }));
    return;
  }
  // SPARK-29287 [2.3/2.4]: the executor's cores were offered as soon as it registered, so a task
  // could reach it before it had built its Executor (it then exits with code 1).
  const offerAtOnce = hasBug(d.s.protocol, "SPARK-29287");
  b.executors[executorId] = {
    executorId,
    address: msg.executorAddress,
    host: msg.hostname,
    totalCores: msg.cores,
    freeCores: offerAtOnce ? msg.cores : 0,
    launched: offerAtOnce,
    registeredAtMs: d.now,
  };
  b.addressToExecutorId[msg.executorAddress] = executorId;
  b.totalCoreCount += msg.cores;
  b.totalRegisteredExecutors += 1;
  d.s.heartbeats.executorLastSeenMs[executorId] = d.now;
  d.fx.push(log("info", "executorRegistered", { executorId, address: msg.executorAddress, host: msg.hostname, cores: msg.cores }));
  d.fx.push(send(from, { type: "RegisteredExecutor" }));
  if (offerAtOnce) makeOffers(d);
}

/** LaunchedExecutor (SPARK-29287): the executor can now take tasks. */
export function onLaunchedExecutor(d: DriverStep, msg: LaunchedExecutor): void {
  const exec = d.s.backend.executors[msg.executorId];
  if (exec === undefined) {
    d.fx.push(ignored("unknown-executor", { type: msg.type, executorId: msg.executorId }));
    return;
  }
  if (exec.launched) {
    // A duplicate would hand out cores that running tasks hold (I22).
    d.fx.push(ignored("executor-already-launched", { executorId: msg.executorId }));
    return;
  }
  exec.launched = true;
  exec.freeCores = exec.totalCores;
  makeOffersForExecutor(d, msg.executorId);
}

/**
 * StatusUpdate: the scheduler always hears it; a finished attempt gives its CPUs back (the count
 * in the message, 3.4+) when it was running on that known executor, then that executor gets offers.
 */
export function onStatusUpdate(d: DriverStep, msg: StatusUpdate): void {
  // Only an attempt still tracked on this executor holds cores there: a duplicate or late update must not free them (I22).
  const trackedOn = statusUpdate(d, msg.taskId, msg.state, msg.data, msg.executorId);
  if (trackedOn === null || !isTaskFinished(msg.state)) return;
  let heldCores = trackedOn === msg.executorId;
  // A task that ran on an executor a LOST update took out of the scheduler frees its cores once, on its own late update.
  if (!heldCores) heldCores = takeLostExecutorTask(d, msg.executorId, msg.taskId);
  const exec = d.s.backend.executors[msg.executorId];
  if (exec === undefined) {
    d.fx.push(log("warn", "statusUpdateFromUnknownExecutor", { taskId: msg.taskId, state: msg.state, executorId: msg.executorId }));
    return;
  }
  if (heldCores && hasBug(d.s.protocol, "SPARK-41848")) {
    // [<= 3.3] every finished task gave back spark.task.cpus, whatever its resource profile took.
    exec.freeCores += d.s.protocol.taskCpus;
  } else if (heldCores) exec.freeCores = Math.min(exec.totalCores, exec.freeCores + Math.max(0, msg.taskCpus));
  offerExecutor(d, exec);
}

/** Whether the TID still held CPUs on the executor after a LOST update's executor loss (then it no longer does). */
function takeLostExecutorTask(d: DriverStep, executorId: string, taskId: number): boolean {
  const lost = d.s.backend.lostExecutorTaskIds[executorId];
  const at = lost === undefined ? -1 : lost.indexOf(taskId);
  if (at < 0) return false;
  lost!.splice(at, 1);
  if (lost!.length === 0) delete d.s.backend.lostExecutorTaskIds[executorId];
  return true;
}

/** makeOffers(): one offer per active executor with free cores, shuffled with the driver's PRNG. */
export function makeOffers(d: DriverStep): void {
  if (d.s.phase !== "running") return;
  const b = d.s.backend;
  const offers: WorkerOffer[] = [];
  for (const executorId in b.executors) {
    const exec = b.executors[executorId]!;
    if (exec.freeCores > 0 && b.executorsPendingToRemove[executorId] === undefined) {
      offers.push({ executorId: exec.executorId, host: exec.host, cores: exec.freeCores });
    }
  }
  if (offers.length === 0) return;
  launchTasks(d, resourceOffers(d, shuffled(d.s, offers)), null);
}

/** makeOffers(executorId): the same for one executor, if it is active. */
export function makeOffersForExecutor(d: DriverStep, executorId: ExecutorId): void {
  const exec = d.s.backend.executors[executorId];
  if (exec !== undefined) offerExecutor(d, exec);
}

/** makeOffers(executorId) for a known executor (this runs after every finished task: one lookup less). */
function offerExecutor(d: DriverStep, exec: ExecutorData): void {
  // isExecutorActive: known and not being removed (flint has no decommissioning or pending loss reasons).
  if (d.s.phase !== "running" || d.s.backend.executorsPendingToRemove[exec.executorId] !== undefined) return;
  if (exec.freeCores <= 0) return;
  launchTasks(d, resourceOffersForExecutor(d, exec.executorId, exec.host, exec.freeCores), exec);
}

/**
 * launchTasks: a task of at least spark.rpc.message.maxSize aborts its task set and is not sent
 * (nor taken out of the running maps, as in Spark); any other one takes its CPUs and is sent.
 */
function launchTasks(d: DriverStep, tasks: readonly TaskDescription[], offered: ExecutorData | null): void {
  const maxBytes = d.s.protocol.maxMessageSizeBytes;
  for (const task of tasks) {
    if (task.payload.sizeBytes >= maxBytes) {
      const tsm = d.s.scheduler.taskSets[tidGet(d.s.scheduler.taskIdToTaskSetId, task.taskId)!];
      if (tsm === undefined) throw new AssertionError(`task ${task.taskId} was just offered but has no task set`);
      abort(
        d,
        tsm,
        `Serialized task ${task.taskId}:${task.index} was ${task.payload.sizeBytes} bytes, which exceeds max allowed: ` +
          `spark.rpc.message.maxSize (${maxBytes} bytes). Consider increasing spark.rpc.message.maxSize or using ` +
          `broadcast variables for large values.`,
      );
      taskNotLaunched(d, task.taskId, task.executorId, "not sent: its serialized task exceeds maxMessageSizeBytes");
      continue;
    }
    // `offered`: the one executor offered, when only one was (no lookup per task then).
    const exec = offered !== null && offered.executorId === task.executorId ? offered : d.s.backend.executors[task.executorId];
    if (exec === undefined) throw new AssertionError(`task ${task.taskId} was offered to unknown executor ${task.executorId}`);
    exec.freeCores -= task.cpus;
    if (exec.freeCores < 0) throw new AssertionError(`executor ${task.executorId} free cores below 0 (I22)`);
    d.fx.push(send(exec.address, { type: "LaunchTask", task }));
  }
}

/** The RemoveExecutor message's handling: a known executor is told to stop first (SPARK-13519). */
export function onRemoveExecutor(d: DriverStep, executorId: ExecutorId, reason: ExecutorLossReason): void {
  const exec = d.s.backend.executors[executorId];
  if (exec !== undefined) d.fx.push(send(exec.address, { type: "StopExecutor" }));
  removeExecutor(d, executorId, reason);
}

/**
 * removeExecutor (§1.5): forget it, pick the effective reason (ExecutorKilled when the driver
 * killed it), and let the scheduler fail what ran there. An unknown executor is only logged.
 */
export function removeExecutor(d: DriverStep, executorId: ExecutorId, reason: ExecutorLossReason): void {
  const b = d.s.backend;
  const exec = b.executors[executorId];
  // The HeartbeatReceiver hears ExecutorRemoved even for an unknown executor (SPARK-35011).
  delete d.s.heartbeats.executorLastSeenMs[executorId];
  if (exec === undefined) {
    d.fx.push(log("info", "removeUnknownExecutor", { executorId, reason: lossMessage(reason) }));
    return;
  }
  if (b.addressToExecutorId[exec.address] === executorId) delete b.addressToExecutorId[exec.address];
  delete b.executors[executorId];
  delete b.lostExecutorTaskIds[executorId];
  const killedByDriver = b.executorsPendingToRemove[executorId] === true;
  delete b.executorsPendingToRemove[executorId];
  const effective: ExecutorLossReason = killedByDriver ? { kind: "ExecutorKilled" } : reason;
  b.totalCoreCount -= exec.totalCores;
  b.totalRegisteredExecutors -= 1;
  d.fx.push(log("info", "executorRemoved", { executorId, reason: lossMessage(effective) }));
  executorLost(d, executorId, effective);
  d.fx.push(notify({ kind: "executorRemoved", executorId, reason: lossMessage(effective) }));
}

/** onDisconnected for an executor's address; false when the address is no executor's. */
export function onExecutorDisconnected(d: DriverStep, peer: Address): boolean {
  const executorId = d.s.backend.addressToExecutorId[peer];
  if (executorId === undefined) return false;
  removeExecutor(d, executorId, { kind: "ExecutorProcessLost", message: DISASSOCIATED_MESSAGE, causedByApp: true });
  return true;
}

/**
 * killExecutors (§1.5): known, not already pending (SPARK-9795), and idle unless forced
 * (SPARK-9552). `countFailures` false marks them killedByDriver. Returns the ids asked of the master.
 */
export function killExecutors(
  d: DriverStep,
  executorIds: readonly string[],
  adjustTarget: boolean,
  countFailures: boolean,
  force: boolean,
): string[] {
  const b = d.s.backend;
  const toKill: string[] = [];
  for (const executorId of executorIds) {
    if (b.executors[executorId] === undefined) {
      d.fx.push(log("warn", "killUnknownExecutor", { executorId }));
    } else if (b.executorsPendingToRemove[executorId] === undefined && !toKill.includes(executorId)) {
      if (force || !isExecutorBusy(d.s.scheduler, executorId)) toKill.push(executorId);
    }
  }
  if (toKill.length === 0) {
    d.fx.push(log("info", "noExecutorsToKill", { requested: executorIds.length }));
    return toKill;
  }
  for (const executorId of toKill) b.executorsPendingToRemove[executorId] = !countFailures;
  if (adjustTarget) {
    // Spark counts a target never requested as 0 (the executors were started by default, not
    // through the request API), so killing them lowers it to 0 and they are not replaced.
    const total = Math.max(0, (b.requestedTotalExecutors ?? 0) - toKill.length);
    b.requestedTotalExecutors = total;
    sendToMaster(d, (appId) => ({ type: "RequestExecutors", appId, requestedTotal: total }), "RequestExecutors");
  }
  sendToMaster(d, (appId) => ({ type: "KillExecutors", appId, executorIds: toKill.slice() }), "KillExecutors");
  return toKill;
}

/** StopExecutors: every known executor is told to stop. */
export function stopAllExecutors(d: DriverStep): void {
  const b = d.s.backend;
  for (const executorId in b.executors) d.fx.push(send(b.executors[executorId]!.address, { type: "StopExecutor" }));
}
