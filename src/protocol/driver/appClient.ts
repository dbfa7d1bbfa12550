/**
 * StandaloneAppClient (§1.4) and its listener StandaloneSchedulerBackend: registration with the
 * masters, the master's messages about the application and its executors, and the two ways the
 * driver ends (markDead and stopApplication).
 */
import { assert } from "../assert.js";
import { exit, ignored, log, notify, send, setTimer } from "../io.js";
import type {
  ApplicationDescription,
  ApplicationRemoved,
  ExecutorAdded,
  ExecutorUpdated,
  MasterChanged,
  RegisteredApplication,
  WorkerRemoved,
} from "../messages.js";
import { executorId as toExecutorId } from "../ids.js";
import { isExecutorFinished } from "../states.js";
import { onRemoveExecutor, stopAllExecutors } from "./backend.js";
import { copyPlain } from "../copy.js";
import { activeJobsInOrder, failJob, processDagEvents } from "./jobs.js";
import { sendToMaster } from "./masterLink.js";
import type { ExecutorLossReason } from "./reasons.js";
import { APP_REGISTRATION_TIMER, EXIT_CODES_NOT_CAUSED_BY_APP, type DriverStep } from "./state.js";
import { error as schedulerError } from "./taskScheduler.js";

export const ALL_MASTERS_UNRESPONSIVE = "All masters are unresponsive! Giving up.";
export const APPLICATION_STOPPED = "Application has been stopped.";

/** registerWithMaster(round): RegisterApplication to every master, then one check after the timeout. */
export function registerWithMaster(d: DriverStep, round: number): void {
  const s = d.s;
  s.appClient.registrationRound = round;
  for (const master of s.masterAddresses) {
    d.fx.push(send(master, { type: "RegisterApplication", appDesc: copyPlain<ApplicationDescription>(s.appDesc), driverAddress: s.address }));
  }
  d.fx.push(log("info", "registeringWithMasters", { round, masters: s.masterAddresses.length }));
  d.fx.push(setTimer(APP_REGISTRATION_TIMER, s.protocol.appRegistrationTimeoutMs));
}

/** The registration round's check: registered -> done; last round -> give up; else one more round. */
export function onRegistrationTimer(d: DriverStep): void {
  const client = d.s.appClient;
  if (client.registered) return;
  if (client.registrationRound >= d.s.protocol.appRegistrationRetries) return markDead(d, ALL_MASTERS_UNRESPONSIVE);
  registerWithMaster(d, client.registrationRound + 1);
}

/** RegisteredApplication: no deduplication; a second one overwrites the first (Spark's FIXME, §7 item 20). */
export function onRegisteredApplication(d: DriverStep, msg: RegisteredApplication): void {
  const client = d.s.appClient;
  if (client.registered) {
    d.fx.push(log("warn", "registeredApplicationAgain", { previousAppId: client.appId, appId: msg.appId, master: msg.masterAddress }));
  }
  client.appId = msg.appId;
  client.registered = true;
  client.master = msg.masterAddress;
  d.fx.push(log("info", "applicationRegistered", { appId: msg.appId, master: msg.masterAddress }));
  d.fx.push(notify({ kind: "appRegistered", appId: msg.appId }));
}

export function onApplicationRemoved(d: DriverStep, msg: ApplicationRemoved): void {
  markDead(d, `Master removed our application: ${msg.message}`);
}

export function onExecutorAdded(d: DriverStep, msg: ExecutorAdded): void {
  const colon = msg.hostPort.lastIndexOf(":");
  const host = colon > 0 ? msg.hostPort.slice(0, colon) : msg.hostPort;
  d.fx.push(log("info", "executorGranted", { execId: msg.execId, workerId: msg.workerId, hostPort: msg.hostPort, cores: msg.cores }));
  d.fx.push(notify({ kind: "executorAdded", executorId: String(msg.execId), host, cores: msg.cores }));
}

/**
 * ExecutorUpdated: a finished executor is removed with the reason rules of §1.4 (an exit code not
 * 56 or 53 is the app's fault; no exit code is the app's fault unless the worker was lost).
 */
export function onExecutorUpdated(d: DriverStep, msg: ExecutorUpdated): void {
  if (!isExecutorFinished(msg.state)) {
    d.fx.push(log("info", "executorUpdated", { execId: msg.execId, state: msg.state }));
    return;
  }
  const message = msg.message ?? "";
  const reason: ExecutorLossReason =
    msg.exitStatus !== undefined
      ? {
          kind: "ExecutorExited",
          exitCode: msg.exitStatus,
          exitCausedByApp: !EXIT_CODES_NOT_CAUSED_BY_APP.includes(msg.exitStatus),
          message,
        }
      : msg.workerHost !== undefined
        ? { kind: "ExecutorProcessLost", message, workerHost: msg.workerHost, causedByApp: false }
        : { kind: "ExecutorProcessLost", message, causedByApp: true };
  d.fx.push(log("info", "executorFinishedOnMaster", { execId: msg.execId, state: msg.state, message }));
  onRemoveExecutor(d, toExecutorId(msg.execId), reason);
}

/** WorkerRemoved: Spark drops the host's shuffle outputs; flint has none, so it only logs. */
export function onWorkerRemoved(d: DriverStep, msg: WorkerRemoved): void {
  d.fx.push(log("info", "workerRemoved", { workerId: msg.workerId, host: msg.host, message: msg.message }));
}

/** MasterChanged: a new leader recovered us; acknowledge it so that it keeps the application. */
export function onMasterChanged(d: DriverStep, msg: MasterChanged): void {
  const client = d.s.appClient;
  if (client.appId === null) {
    d.fx.push(ignored("not-registered", { type: msg.type, master: msg.masterAddress }));
    return;
  }
  client.master = msg.masterAddress;
  client.alreadyDisconnected = false;
  d.fx.push(log("info", "masterChanged", { master: msg.masterAddress }));
  d.fx.push(send(msg.masterAddress, { type: "MasterChangeAcknowledged", appId: client.appId }));
}

/** markDisconnected: reported once; the client waits for a MasterChanged, never re-registers. */
export function onMasterDisconnected(d: DriverStep): void {
  const client = d.s.appClient;
  if (client.alreadyDisconnected) {
    d.fx.push(ignored("already-disconnected", { master: client.master }));
    return;
  }
  client.alreadyDisconnected = true;
  d.fx.push(log("warn", "masterDisconnected", { master: client.master }));
}

/** requestTotalExecutors command: RequestExecutors to the master (dynamic allocation's message only). */
export function requestTotalExecutors(d: DriverStep, total: number): void {
  d.s.backend.requestedTotalExecutors = total;
  sendToMaster(d, (appId) => ({ type: "RequestExecutors", appId, requestedTotal: total }), "RequestExecutors");
}

/**
 * markDead (once): the scheduler's error aborts every task set, so their jobs fail with the
 * reason; the executors are stopped and the driver process ends (Spark stops the SparkContext).
 */
export function markDead(d: DriverStep, reason: string): void {
  const s = d.s;
  assert(!s.appClient.alreadyDead, "markDead runs once: a dead driver takes no more input");
  s.appClient.alreadyDead = true;
  s.phase = "dead";
  s.endReason = reason;
  d.fx.push(log("error", "applicationDead", { reason }));
  schedulerError(d, reason);
  processDagEvents(d);
  for (const job of activeJobsInOrder(d)) failJob(d, job, reason);
  d.fx.push(notify({ kind: "appDead", reason }));
  stopAllExecutors(d);
  d.fx.push(exit(1, reason));
}

/**
 * stopApplication (SparkContext.stop): running jobs fail, executors are stopped, the master is
 * told (UnregisterApplication), and the driver exits normally.
 */
export function stopApplication(d: DriverStep): void {
  const s = d.s;
  s.appClient.alreadyDead = true;
  s.phase = "stopped";
  s.endReason = APPLICATION_STOPPED;
  for (const job of activeJobsInOrder(d)) failJob(d, job, `Job ${job.jobId} cancelled because SparkContext was shut down`, false);
  stopAllExecutors(d);
  d.fx.push(notify({ kind: "appDead", reason: APPLICATION_STOPPED }));
  sendToMaster(d, (appId) => ({ type: "UnregisterApplication", appId }), "UnregisterApplication");
  d.fx.push(exit(0, APPLICATION_STOPPED));
}
