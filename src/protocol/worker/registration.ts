/**
 * The worker's registration state machine and heartbeats (docs/protocol.md §1.3 "Registration state
 * machine", RegisteredWorker, RegisterWorkerFailed, MasterInStandby, MasterChanged,
 * ReconnectWorker, SendHeartbeat, onDisconnected).
 */
import { hasBug } from "../config.js";
import type { Address } from "../ids.js";
import { cancelTimer, exit, ignored, log, send, setTimer, type Effect } from "../io.js";
import type { ExecutorDescription, MasterChanged, Message, RegisteredWorker, RegisterWorker, RegisterWorkerFailed } from "../messages.js";
import { TIMER_HEARTBEAT, TIMER_REREGISTER, type WorkerState } from "./state.js";

export const GIVE_UP_REASON = "All masters are unresponsive! Giving up.";

function registerWorkerMessage(s: WorkerState, masterAddress: Address): RegisterWorker {
  return {
    type: "RegisterWorker",
    workerId: s.workerId,
    host: s.host,
    port: s.port,
    workerAddress: s.address,
    cores: s.cores,
    memoryMb: s.memoryMb,
    masterAddress,
  };
}

/** Spark's sendToMaster: a message for the current master, dropped (with a log) if none is known. */
export function sendToMaster(s: WorkerState, message: Message, fx: Effect[]): void {
  if (s.masterAddress === null) {
    fx.push(log("warn", "dropped-no-master", { type: message.type }));
    return;
  }
  fx.push(send(s.masterAddress, message));
}

function tryRegisterAllMasters(s: WorkerState, fx: Effect[]): void {
  for (const master of s.masterAddresses) fx.push(send(master, registerWorkerMessage(s, master)));
}

function armRegistrationRetry(s: WorkerState, intervalMs: number, fx: Effect[]): void {
  s.registrationRetryArmed = true;
  s.registrationIntervalMs = intervalMs;
  fx.push(setTimer(TIMER_REREGISTER, intervalMs));
}

function cancelLastRegistrationRetry(s: WorkerState, fx: Effect[]): void {
  if (!s.registrationRetryArmed) return;
  s.registrationRetryArmed = false;
  fx.push(cancelTimer(TIMER_REREGISTER));
}

/** Spark's registerWithMaster(): a no-op while retries are pending. */
export function registerWithMaster(s: WorkerState, fx: Effect[]): void {
  if (s.registrationRetryArmed) {
    fx.push(log("debug", "registration-retry-pending", { attempt: s.connectionAttemptCount }));
    return;
  }
  s.registered = false;
  tryRegisterAllMasters(s, fx);
  s.connectionAttemptCount = 0;
  armRegistrationRetry(s, s.initialRegistrationIntervalMs, fx);
}

/** The "reregister" tick: Spark's reregisterWithMaster(), re-armed at a fixed rate. */
export function onReregisterTimer(s: WorkerState, fx: Effect[]): void {
  if (!s.registrationRetryArmed) {
    fx.push(ignored("stale-timer", { key: TIMER_REREGISTER }));
    return;
  }
  s.connectionAttemptCount += 1;
  if (s.registered) {
    // The timer just fired, so there is nothing to cancel at the host; only forget it.
    s.registrationRetryArmed = false;
    return;
  }
  if (s.connectionAttemptCount > s.protocol.totalRegistrationRetries) {
    s.registrationRetryArmed = false;
    fx.push(log("error", GIVE_UP_REASON, { attempts: s.connectionAttemptCount - 1 }));
    fx.push(exit(1, GIVE_UP_REASON));
    return;
  }
  // Past its fast retries, a worker whose old master stays silent asks every master (flint; Spark
  // keeps asking the old one only, docs/protocol.md §3.5.5: when that master is gone for good and
  // the new leader's MasterChanged was lost, the worker is stranded; switch OLD-MASTER-ONLY). Safe
  // only because a master that already knows the worker answers its registration as a duplicate
  // (SPARK-23191's fix): with that bug on, the worker keeps to its old master as in Spark.
  const oldMasterOnly =
    s.connectionAttemptCount <= s.protocol.initialRegistrationRetries ||
    hasBug(s.protocol, "OLD-MASTER-ONLY") ||
    hasBug(s.protocol, "SPARK-23191");
  if (s.masterAddress !== null && !hasBug(s.protocol, "SPARK-4592") && oldMasterOnly) {
    // SPARK-4592: once a master is known, retry with that master only (before 1.2 every retry
    // went to every master, so a retry could reach a new leader that already knew the worker).
    const target =
      s.protocol.preferConfiguredMasterAddress && s.masterAddressToConnect !== null ? s.masterAddressToConnect : s.masterAddress;
    fx.push(send(target, registerWorkerMessage(s, target)));
  } else {
    tryRegisterAllMasters(s, fx);
  }
  const nextIntervalMs =
    s.connectionAttemptCount === s.protocol.initialRegistrationRetries ? s.prolongedRegistrationIntervalMs : s.registrationIntervalMs;
  armRegistrationRetry(s, nextIntervalMs, fx);
}

function changeMaster(s: WorkerState, masterAddress: Address, addressToConnect: Address, fx: Effect[]): void {
  s.activeMasterUrl = masterAddress;
  s.masterAddress = masterAddress;
  s.masterAddressToConnect = addressToConnect;
  s.connected = true;
  cancelLastRegistrationRetry(s, fx);
}

/** Spark's SendHeartbeat handler. */
function heartbeat(s: WorkerState, fx: Effect[]): void {
  if (s.connected) sendToMaster(s, { type: "Heartbeat", workerId: s.workerId, workerAddress: s.address }, fx);
}

export function onHeartbeatTimer(s: WorkerState, fx: Effect[]): void {
  if (!s.heartbeatStarted) {
    fx.push(ignored("stale-timer", { key: TIMER_HEARTBEAT }));
    return;
  }
  heartbeat(s, fx);
  fx.push(setTimer(TIMER_HEARTBEAT, s.protocol.workerHeartbeatIntervalMs));
}

function executorDescriptions(s: WorkerState): ExecutorDescription[] {
  return Object.values(s.executors).map((runner) => ({
    appId: runner.appId,
    execId: runner.execId,
    cores: runner.cores,
    memoryMb: runner.memoryMb,
    state: runner.state,
  }));
}

function driverIds(s: WorkerState) {
  return Object.values(s.drivers).map((runner) => runner.driverId);
}

export function onRegisteredWorker(s: WorkerState, m: RegisteredWorker, fx: Effect[]): void {
  if (m.duplicate) fx.push(log("warn", "duplicate-registration", { master: m.masterAddress }));
  s.registered = true;
  changeMaster(s, m.masterAddress, m.configuredMasterAddress, fx);
  // Deviation from Spark (docs/protocol.md §7 item 24): Spark starts one more fixed-rate heartbeat
  // timer on every RegisteredWorker and never cancels any, so the heartbeat rate grows with each
  // re-registration. flint keeps ONE "heartbeat" timer: each registration beats at once (Spark's
  // initial delay 0) and re-arms that single timer, which the host replaces.
  s.heartbeatStarted = true;
  heartbeat(s, fx);
  fx.push(setTimer(TIMER_HEARTBEAT, s.protocol.workerHeartbeatIntervalMs));
  if (hasBug(s.protocol, "SPARK-13604")) {
    // [< 2.0] no WorkerLatestState: executors and drivers the master forgot (it timed this worker
    // out) keep running as zombies (docs/protocol.md §7 item 2).
    return;
  }
  fx.push(
    send(m.masterAddress, {
      type: "WorkerLatestState",
      workerId: s.workerId,
      executors: executorDescriptions(s),
      driverIds: driverIds(s),
    }),
  );
}

export function onRegisterWorkerFailed(s: WorkerState, m: RegisterWorkerFailed, fx: Effect[]): void {
  if (s.registered) {
    fx.push(ignored("already-registered", { message: m.message }));
    return;
  }
  fx.push(log("error", "worker-registration-failed", { message: m.message }));
  fx.push(exit(1, `Worker registration failed: ${m.message}`));
}

export function onMasterChanged(s: WorkerState, m: MasterChanged, fx: Effect[]): void {
  // Does not set `registered`: a MasterChanged is not a registration (docs/protocol.md §1.3).
  changeMaster(s, m.masterAddress, m.masterAddress, fx);
  fx.push(
    send(m.masterAddress, {
      type: "WorkerSchedulerStateResponse",
      workerId: s.workerId,
      executors: executorDescriptions(s),
      driverIds: driverIds(s),
    }),
  );
}

/** Spark's onDisconnected: only the master's addresses matter; every disconnect is broadcast. */
export function onPeerDisconnected(s: WorkerState, peer: Address, fx: Effect[]): void {
  if (peer !== s.masterAddress && peer !== s.masterAddressToConnect) return;
  fx.push(log("warn", "master-disconnected", { master: peer }));
  s.connected = false;
  registerWithMaster(s, fx);
}
