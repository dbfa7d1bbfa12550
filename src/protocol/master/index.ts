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
import { exit, ignored, log, send, setTimer, type Ctx, type Effect, type Input, type Role } from "../io.js";
import { notAliveReply } from "../not-alive.js";
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
import {
  ACCEPTS_COMPLETE_RECOVERY_TIMER,
  ACCEPTS_LEADER_ELECTED,
  isIgnoredByMaster,
  MASTER_PHASES,
  type MasterHandledType,
} from "./phases.js";
import { COMPLETE_RECOVERY_TIMER, completeRecovery, completeRecoveryIfAnswered, electedLeader } from "./recovery.js";
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
      if (!ACCEPTS_LEADER_ELECTED[state.recoveryState]) m.fx.push(ignored("already-leader", { state: state.recoveryState }));
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
      completeRecoveryIfAnswered(m);
      return;
    case COMPLETE_RECOVERY_TIMER:
      // Cancelled when recovery completes early, so only a stale firing finds another phase.
      if (ACCEPTS_COMPLETE_RECOVERY_TIMER[m.s.recoveryState]) completeRecovery(m);
      else m.fx.push(ignored("recovery-not-in-progress", { key, state: m.s.recoveryState }));
      return;
    default:
      m.fx.push(ignored("unknown-timer", { key }));
  }
}

/** A message, by the rule its type has in the master's phase (phases.ts). */
function onMessage(m: MasterStep, from: Address, msg: Message): void {
  if (isIgnoredByMaster(msg.type)) {
    m.fx.push(ignored("unexpected-message", { type: msg.type, from }));
    return;
  }
  const handled = msg as MasterHandledMessage;
  const rule = MASTER_PHASES[m.s.recoveryState][handled.type];
  switch (rule) {
    case "handle":
      return handle(m, from, handled);
    case "answer-standby":
      return answerAsStandby(m, handled);
    case "answer-not-alive":
      return answerNotAlive(m, from, handled);
    default:
      assertNever(rule, "message rule");
  }
}

type MasterHandledMessage = Extract<Message, { type: MasterHandledType }>;

function handle(m: MasterStep, from: Address, msg: MasterHandledMessage): void {
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
    default:
      assertNever(msg, "message");
  }
}

/** A standby's answers (Spark's): a worker is told to try another master; a driver's registration goes unanswered. */
function answerAsStandby(m: MasterStep, msg: MasterHandledMessage): void {
  switch (msg.type) {
    case "RegisterWorker":
      m.fx.push(send(msg.workerAddress, { type: "MasterInStandby" }));
      return;
    case "RegisterApplication":
      m.fx.push(ignored("standby-ignores-app-registration", { driverAddress: msg.driverAddress }));
      return;
    default:
      m.fx.push(ignored("no-standby-answer", { type: msg.type }));
  }
}

/** A leader-only request while not ALIVE: refused with "Current state is not alive" (not-alive.ts). */
function answerNotAlive(m: MasterStep, from: Address, msg: MasterHandledMessage): void {
  const state = m.s.recoveryState;
  switch (msg.type) {
    case "RequestSubmitDriver":
      m.fx.push(
        send(from, {
          type: "SubmitDriverResponse",
          masterAddress: m.s.address,
          success: false,
          message: notAliveReply(state, "accept driver submissions"),
        }),
      );
      return;
    case "RequestKillDriver":
      m.fx.push(
        send(from, {
          type: "KillDriverResponse",
          masterAddress: m.s.address,
          driverId: msg.driverId,
          success: false,
          message: notAliveReply(state, "kill drivers"),
        }),
      );
      return;
    case "RequestDriverStatus":
      m.fx.push(send(from, { type: "DriverStatusResponse", found: false, exception: notAliveReply(state, "request driver status") }));
      return;
    default:
      m.fx.push(ignored("no-not-alive-answer", { type: msg.type }));
  }
}

export const master: Role<MasterState, MasterConfig> = { name: "master", init, step };
