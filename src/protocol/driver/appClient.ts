/**
 * StandaloneAppClient (§1.4) and its listener StandaloneSchedulerBackend: registration with the
 * masters, the master's messages about the application and its executors, and the two ways the
 * driver ends (markDead and stopApplication).
 */
import { assert } from "../assert.js";
import { hasBug, type ProtocolConfig } from "../config.js";
import { cancelTimer, exit, ignored, log, notify, send, setTimer } from "../io.js";
import type {
  ApplicationDescription,
  ApplicationRemoved,
  ExecutorAdded,
  ExecutorUpdated,
  MasterChanged,
  Message,
  RegisteredApplication,
  WorkerRemoved,
} from "../messages.js";
import { executorId as toExecutorId, type AppId } from "../ids.js";
import { isExecutorFinished } from "../states.js";
import { onRemoveExecutor, removeExecutor, stopAllExecutors } from "./backend.js";
import { copyPlain } from "../copy.js";
import { activeJobsInOrder, failJob, processDagEvents } from "./jobs.js";
import { sendToMaster } from "./masterLink.js";
import type { ExecutorLossReason } from "./reasons.js";
import { APP_REGISTRATION_TIMER, APP_REREGISTRATION_TIMER, EXIT_CODES_NOT_CAUSED_BY_APP, type DriverStep } from "./state.js";
import { error as schedulerError } from "./taskScheduler.js";

export const ALL_MASTERS_UNRESPONSIVE = "All masters are unresponsive! Giving up.";
export const APPLICATION_STOPPED = "Application has been stopped.";

const registerApplication = (d: DriverStep): Message => ({
  type: "RegisterApplication",
  appDesc: copyPlain<ApplicationDescription>(d.s.appDesc),
  driverAddress: d.s.address,
});

/**
 * When the app client has, at the latest, either registered or declared the application dead
 * ("All masters are unresponsive"): appRegistrationRetries rounds of appRegistrationTimeoutMs
 * each (onRegistrationTimer gives up at the end of the last one). A host that waits for the
 * registration waits this long plus one more round, so that the role's own verdict comes first.
 */
export function appRegistrationDeadlineMs(protocol: ProtocolConfig): number {
  return protocol.appRegistrationTimeoutMs * (protocol.appRegistrationRetries + 1);
}

/** registerWithMaster(round): RegisterApplication to every master, then one check after the timeout. */
export function registerWithMaster(d: DriverStep, round: number): void {
  const s = d.s;
  s.appClient.registrationRound = round;
  for (const master of s.masterAddresses) d.fx.push(send(master, registerApplication(d)));
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

/**
 * RegisteredApplication: no deduplication; a second one overwrites the first (Spark's FIXME, §7
 * item 20). An answer to a re-registration ends it; one with a new app id means the master no
 * longer had our app (it finished it when the connection broke, or never knew it): the new id is
 * adopted and the old app's executors are dropped (see adoptNewApp).
 */
export function onRegisteredApplication(d: DriverStep, msg: RegisteredApplication): void {
  const client = d.s.appClient;
  const previousAppId = client.appId;
  const reregistering = client.reregistrationAttempt !== null;
  if (client.registered && !reregistering) {
    d.fx.push(log("warn", "registeredApplicationAgain", { previousAppId, appId: msg.appId, master: msg.masterAddress }));
  }
  if (reregistering) endReregistration(d);
  client.appId = msg.appId;
  client.registered = true;
  client.master = msg.masterAddress;
  client.alreadyDisconnected = false;
  d.fx.push(log("info", "applicationRegistered", { appId: msg.appId, master: msg.masterAddress }));
  d.fx.push(notify({ kind: "appRegistered", appId: msg.appId }));
  if (reregistering && previousAppId !== null && previousAppId !== msg.appId) adoptNewApp(d, previousAppId);
}

/**
 * The master answered a re-registration with a new app id: the old app is gone there, and with
 * it the master's claim on its executors (it killed them, or a worker will once it hears of the
 * app's end). Every executor the driver knows belonged to the old app: each is stopped and
 * removed as lost through no fault of its tasks (they rerun without counting toward
 * taskMaxFailures), which also frees their ids for the new app's executors, numbered from 0 again.
 * The new app starts with the master's default executor target: a target the driver had asked for
 * is asked again.
 */
function adoptNewApp(d: DriverStep, previousAppId: AppId): void {
  const b = d.s.backend;
  const newAppId = d.s.appClient.appId!;
  const executorIds = Object.keys(b.executors); // integer-like keys: ascending numeric order
  d.fx.push(log("warn", "applicationReplaced", { previousAppId, appId: newAppId, executorsDropped: executorIds.length }));
  const message = `Application ${previousAppId} was lost by the master; re-registered as ${newAppId}`;
  for (const executorId of executorIds) {
    d.fx.push(send(b.executors[executorId]!.address, { type: "StopExecutor" }));
    removeExecutor(d, toExecutorId(executorId), { kind: "ExecutorProcessLost", message, causedByApp: false });
  }
  const total = b.requestedTotalExecutors;
  if (total !== null) sendToMaster(d, (appId) => ({ type: "RequestExecutors", appId, requestedTotal: total }), "RequestExecutors");
  d.reviveRequested = true;
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
  // The master may send no message (a worker's report without one): the loss still gets a reason.
  const message = msg.message ?? `executor ${msg.state}`;
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

/**
 * MasterChanged: a new leader recovered us; acknowledge it so that it keeps the application.
 * flint then confirms the app with it: one RegisterApplication, answered with the app's id if the
 * leader still has it, or with a new id if not (a MasterChanged that arrived after recovery had
 * already finished the silent app, §3.5.3, or one from a leader that recovered another app of
 * ours, §3.5.1); without an answer the re-registration goes on with every master. Spark only
 * acknowledges, and a late MasterChanged leaves its driver waiting for ever (§7 item 28).
 */
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
  if (hasBug(d.s.protocol, "WAIT-FOR-MASTER")) {
    if (client.reregistrationAttempt !== null) endReregistration(d);
    return;
  }
  client.reregistrationAttempt = 1;
  d.fx.push(send(msg.masterAddress, registerApplication(d)));
  d.fx.push(setTimer(APP_REREGISTRATION_TIMER, d.s.protocol.appRegistrationTimeoutMs));
}

/**
 * markDisconnected: reported once. Spark's client then waits for a MasterChanged for ever ("waiting
 * for master to reconnect"), but none comes when the master finished the app on the same broken
 * connection, or when the leader that recovers never knew the app (a deposed leader registered it):
 * the driver would hang (§7 item 28, switch WAIT-FOR-MASTER). flint waits appReregistrationGraceMs
 * for a failover's MasterChanged, then registers again with every master (onReregistrationTimer).
 * Before the first RegisteredApplication the registration rounds are still running: nothing to do.
 */
export function onMasterDisconnected(d: DriverStep): void {
  const client = d.s.appClient;
  if (client.alreadyDisconnected) {
    d.fx.push(ignored("already-disconnected", { master: client.master }));
    return;
  }
  client.alreadyDisconnected = true;
  d.fx.push(log("warn", "masterDisconnected", { master: client.master }));
  if (!client.registered || hasBug(d.s.protocol, "WAIT-FOR-MASTER")) return;
  client.reregistrationAttempt = 0;
  d.fx.push(setTimer(APP_REREGISTRATION_TIMER, d.s.protocol.appReregistrationGraceMs));
}

/**
 * One re-registration attempt: RegisterApplication (as at start) to every master, the next attempt
 * appRegistrationTimeoutMs later; after appReregistrationAttempts unanswered ones the driver gives
 * up as an unregistered one does. A master that still has our app answers with its id (and counts
 * the answer as the app's MasterChangeAcknowledged during recovery); one that lost it gives a new id.
 */
export function onReregistrationTimer(d: DriverStep): void {
  const client = d.s.appClient;
  const attempt = client.reregistrationAttempt;
  if (attempt === null) {
    d.fx.push(ignored("not-reregistering", { appId: client.appId }));
    return;
  }
  if (attempt >= d.s.protocol.appReregistrationAttempts) return markDead(d, ALL_MASTERS_UNRESPONSIVE);
  client.reregistrationAttempt = attempt + 1;
  for (const master of d.s.masterAddresses) d.fx.push(send(master, registerApplication(d)));
  d.fx.push(log("warn", "reregisteringWithMasters", { attempt: attempt + 1, appId: client.appId, masters: d.s.masterAddresses.length }));
  d.fx.push(setTimer(APP_REREGISTRATION_TIMER, d.s.protocol.appRegistrationTimeoutMs));
}

function endReregistration(d: DriverStep): void {
  d.s.appClient.reregistrationAttempt = null;
  d.fx.push(cancelTimer(APP_REREGISTRATION_TIMER));
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
