/**
 * The master role (docs/protocol.md §1.2, §3, §4.1): worker and app registration, heartbeats and the
 * dead-worker check, executor and driver placement, failure handling and recovery.
 *
 * Timers: "checkForWorkerTimeOut" (every workerTimeoutMs, first at once; it also gives up executors
 * stuck LAUNCHING for executorLaunchTimeoutMs) and "completeRecovery"
 * (one-shot, recoveryTimeoutMs after an election that found state in the store).
 */
import { assertNever } from "../assert.js";
import { refused } from "../authority.js";
import { exit, ignored, log, setTimer, type Ctx, type Effect, type Input, type Role } from "../io.js";
import type { Address } from "../ids.js";
import type { Message } from "../messages.js";
import { seedRng } from "../random.js";
import type { MasterConfig } from "../roles.js";
import {
  onDriverStateChanged,
  onExecutorStateChanged,
  onHeartbeat,
  onKillExecutors,
  onMasterChangeAcknowledged,
  onPeerDisconnected,
  onRegisterApplication,
  onRegisterWorker,
  onRequestDriverStatus,
  onRequestExecutors,
  onRequestKillDriver,
  onRequestSubmitDriver,
  onUnregisterApplication,
  onWorkerLatestState,
  onWorkerSchedulerStateResponse,
  timeOutDeadWorkers,
  timeOutLaunchingExecutors,
} from "./handlers.js";
import { masterRefusal } from "./authority.js";
import { canCompleteRecovery, COMPLETE_RECOVERY_TIMER, completeRecovery, electedLeader } from "./recovery.js";
import type { MasterState, MasterStep } from "./state.js";

export type { MasterState, WorkerInfo, ApplicationInfo, DriverInfo, ExecutorDesc } from "./state.js";
export { scheduleExecutorsOnWorkers } from "./schedule.js";

export const CHECK_WORKER_TIMEOUT_TIMER = "checkForWorkerTimeOut";

function init(config: MasterConfig, _ctx: Ctx): { state: MasterState; effects: Effect[] } {
  const state: MasterState = {
    address: config.address,
    config: { ...config.protocol, bugs: [...config.protocol.bugs] },
    rng: seedRng(config.seed),
    recoveryState: "STANDBY",
    workers: {},
    addressToWorker: {},
    apps: {},
    addressToApp: {},
    waitingApps: [],
    completedApps: [],
    drivers: {},
    waitingDrivers: [],
    completedDrivers: [],
    nextAppNumber: 0,
    nextDriverNumber: 0,
    recoveryPendingWorkers: [],
    recoveryPendingApps: [],
    deadWorkerIds: [],
  };
  return {
    state,
    effects: [log("info", "masterStarted", { address: config.address }), setTimer(CHECK_WORKER_TIMEOUT_TIMER, 0)],
  };
}

function step(state: MasterState, input: Input, ctx: Ctx): Effect[] {
  const m: MasterStep = { s: state, now: ctx.now, fx: [] };
  switch (input.type) {
    case "message": {
      const refusal = masterRefusal(state, input.from, input.message);
      if (refusal !== null) m.fx.push(refused(refusal, input.from, input.message.type));
      else onMessage(m, input.from, input.message);
      break;
    }
    case "timer":
      onTimer(m, input.key);
      break;
    case "peerDisconnected":
      onPeerDisconnected(m, input.peer);
      break;
    case "leaderElected":
      if (state.recoveryState !== "STANDBY") m.fx.push(ignored("already-leader", { state: state.recoveryState }));
      else electedLeader(m, input.stored);
      break;
    case "leadershipRevoked":
      // Spark exits at once: no graceful step-down, and so no scheduling after leadership is lost.
      m.fx.push(exit(0, "Leadership has been revoked -- master shutting down."));
      break;
    case "command":
      if (input.command.kind === "stop") m.fx.push(exit(0, "master stopped"));
      else m.fx.push(ignored("unsupported-command", { kind: input.command.kind }));
      break;
    case "processLaunched":
    case "processLaunchFailed":
    case "processExited":
    case "taskFinished":
      m.fx.push(ignored("unexpected-input", { type: input.type }));
      break;
    default:
      assertNever(input, "input");
  }
  return m.fx;
}

function onTimer(m: MasterStep, key: string): void {
  switch (key) {
    case CHECK_WORKER_TIMEOUT_TIMER:
      timeOutDeadWorkers(m);
      timeOutLaunchingExecutors(m);
      m.fx.push(setTimer(CHECK_WORKER_TIMEOUT_TIMER, m.s.config.workerTimeoutMs));
      // A silent worker removed during a recovery may have been the last one it waited for.
      if (m.s.recoveryState === "RECOVERING" && canCompleteRecovery(m)) completeRecovery(m);
      return;
    case COMPLETE_RECOVERY_TIMER:
      completeRecovery(m);
      return;
    default:
      m.fx.push(ignored("unknown-timer", { key }));
  }
}

function onMessage(m: MasterStep, from: Address, msg: Message): void {
  switch (msg.type) {
    case "RegisterWorker":
      return onRegisterWorker(m, msg);
    case "RegisterApplication":
      return onRegisterApplication(m, msg);
    case "ExecutorStateChanged":
      return onExecutorStateChanged(m, from, msg);
    case "DriverStateChanged":
      return onDriverStateChanged(m, msg);
    case "Heartbeat":
      return onHeartbeat(m, msg);
    case "MasterChangeAcknowledged":
      return onMasterChangeAcknowledged(m, msg.appId);
    case "WorkerSchedulerStateResponse":
      return onWorkerSchedulerStateResponse(m, from, msg);
    case "WorkerLatestState":
      return onWorkerLatestState(m, msg);
    case "UnregisterApplication":
      return onUnregisterApplication(m, msg.appId);
    case "RequestSubmitDriver":
      return onRequestSubmitDriver(m, from, msg);
    case "RequestKillDriver":
      return onRequestKillDriver(m, from, msg);
    case "RequestDriverStatus":
      return onRequestDriverStatus(m, from, msg);
    case "RequestExecutors":
      return onRequestExecutors(m, from, msg);
    case "KillExecutors":
      return onKillExecutors(m, from, msg);
    case "RegisteredWorker":
    case "RegisterWorkerFailed":
    case "MasterInStandby":
    case "ReconnectWorker":
    case "MasterChanged":
    case "LaunchExecutor":
    case "KillExecutor":
    case "ExecutorStateChangedResponse":
    case "LaunchDriver":
    case "KillDriver":
    case "ApplicationFinished":
    case "RegisteredApplication":
    case "ExecutorAdded":
    case "ExecutorUpdated":
    case "ApplicationRemoved":
    case "WorkerRemoved":
    case "RequestExecutorsResponse":
    case "KillExecutorsResponse":
    case "SubmitDriverResponse":
    case "KillDriverResponse":
    case "DriverStatusResponse":
    case "RegisterExecutor":
    case "RegisteredExecutor":
    case "RegisterExecutorFailed":
    case "LaunchedExecutor":
    case "StatusUpdate":
    case "LaunchTask":
    case "KillTask":
    case "StopExecutor":
    case "RemoveExecutor":
    case "ExecutorHeartbeat":
    case "HeartbeatResponse":
      m.fx.push(ignored("unexpected-message", { type: msg.type, from }));
      return;
    default:
      assertNever(msg, "message");
  }
}

export const master: Role<MasterState, MasterConfig> = { name: "master", init, step };
