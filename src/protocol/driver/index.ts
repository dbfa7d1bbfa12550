/**
 * The driver role: one reducer at one address made of the AppClient and its
 * StandaloneSchedulerBackend listener (§1.4), the DriverEndpoint (§1.5), the HeartbeatReceiver
 * (§1.7), TaskSchedulerImpl and TaskSetManagers (§1.8, §4.2-§4.7) and a minimal DAG scheduler.
 *
 * Model: a job is a list of stages run one after another; every task is a ResultTask with no
 * locality preference. Not modelled: shuffles and stage retries, locality and delay scheduling,
 * exclusion, barrier stages, FAIR pools, decommissioning, the dynamic-allocation
 * policy (only its messages), block managers.
 *
 * Timers: "appRegistration" (one-shot per registration round), "appReregistration" (one-shot per
 * re-registration attempt after the master's connection broke), "revive" (every reviveIntervalMs:
 * makeOffers()), "expireDeadHosts" (every networkTimeoutIntervalMs: the heartbeat check),
 * "speculation" (every speculationIntervalMs, only while speculation is on: checkSpeculatableTasks).
 */
import { assert, assertNever } from "../assert.js";
import { refused } from "../authority.js";
import { ignored, log, notify, setTimer, type Command, type Ctx, type Effect, type Input, type Role } from "../io.js";
import type { Address } from "../ids.js";
import { messageTypeGuard } from "../ignored-messages.js";
import type { Message, MessageType } from "../messages.js";
import { seedRng } from "../random.js";
import type { DriverConfig } from "../roles.js";
import { driverRefusal } from "./authority.js";
import {
  onApplicationRemoved,
  onExecutorAdded,
  onExecutorUpdated,
  onMasterChanged,
  onMasterDisconnected,
  onRegisteredApplication,
  onRegistrationTimer,
  onReregistrationTimer,
  onWorkerRemoved,
  registerWithMaster,
  requestTotalExecutors,
  stopApplication,
} from "./appClient.js";
import {
  killExecutors,
  makeOffers,
  onExecutorDisconnected,
  onLaunchedExecutor,
  onRegisterExecutor,
  onRemoveExecutor,
  onStatusUpdate,
} from "./backend.js";
import { copyPlain } from "../copy.js";
import { expireDeadHosts, onExecutorHeartbeat } from "./heartbeats.js";
import { newTidTable } from "./tidTable.js";
import { cancelJob, processDagEvents, submitJob } from "./jobs.js";
import { killTaskAttempt } from "./kill.js";
import { checkSpeculatableTasks } from "./taskScheduler.js";
import {
  APP_REGISTRATION_TIMER,
  APP_REREGISTRATION_TIMER,
  EXPIRE_DEAD_HOSTS_TIMER,
  MAX_SETTLE_ROUNDS,
  NO_DAG_EVENTS,
  REVIVE_TIMER,
  SPECULATION_TIMER,
  type DriverRoleState,
  type DriverStep,
} from "./state.js";

export type {
  DriverRoleState,
  ExecutorData,
  JobState,
  TaskInfo,
  TaskSetManagerState,
  SchedulerState,
  BackendState,
  AppClientState,
} from "./state.js";
export { APP_REGISTRATION_TIMER, APP_REREGISTRATION_TIMER, EXPIRE_DEAD_HOSTS_TIMER, REVIVE_TIMER, SPECULATION_TIMER } from "./state.js";
export { checkDriverInvariants } from "./invariants.js";

function init(config: DriverConfig, ctx: Ctx): { state: DriverRoleState; effects: Effect[] } {
  const state: DriverRoleState = {
    address: config.address,
    host: config.host,
    masterAddresses: config.masterAddresses.slice(),
    appDesc: copyPlain(config.appDesc),
    protocol: { ...config.protocol, bugs: [...config.protocol.bugs] },
    rng: seedRng(config.seed),
    phase: "running",
    endReason: null,
    appClient: {
      appId: null,
      registered: false,
      master: null,
      alreadyDisconnected: false,
      reregistrationAttempt: null,
      alreadyDead: false,
      registrationRound: 0,
    },
    backend: {
      executors: {},
      addressToExecutorId: {},
      executorsPendingToRemove: {},
      totalCoreCount: 0,
      totalRegisteredExecutors: 0,
      requestedTotalExecutors: null,
      lostExecutorTaskIds: {},
    },
    heartbeats: { executorLastSeenMs: {} },
    scheduler: {
      nextTaskId: 0,
      taskSets: {},
      pool: [],
      taskIdToTaskSetId: newTidTable(),
      executorIdToRunningTaskIds: {},
    },
    jobs: { active: {}, nextJobSeq: 0, finished: {}, finishedOrder: [] },
  };
  const d: DriverStep = { s: state, now: ctx.now, fx: [], reviveRequested: false, dagEvents: NO_DAG_EVENTS };
  registerWithMaster(d, 1);
  d.fx.push(setTimer(REVIVE_TIMER, state.protocol.reviveIntervalMs));
  d.fx.push(setTimer(EXPIRE_DEAD_HOSTS_TIMER, state.protocol.networkTimeoutIntervalMs));
  if (state.protocol.speculation) d.fx.push(setTimer(SPECULATION_TIMER, state.protocol.speculationIntervalMs));
  return { state, effects: d.fx };
}

function step(state: DriverRoleState, input: Input, ctx: Ctx): Effect[] {
  const d: DriverStep = { s: state, now: ctx.now, fx: [], reviveRequested: false, dagEvents: NO_DAG_EVENTS };
  if (state.phase !== "running") {
    afterEnd(d, input);
    return d.fx;
  }
  switch (input.type) {
    case "message": {
      const refusal = driverRefusal(state, input.from, input.message);
      if (refusal !== null) d.fx.push(refused(refusal, input.from, input.message.type));
      else onMessage(d, input.from, input.message);
      break;
    }
    case "timer":
      onTimer(d, input.key);
      break;
    case "peerDisconnected":
      onPeerDisconnected(d, input.peer);
      break;
    case "command":
      onCommand(d, input.command);
      break;
    case "processLaunched":
    case "processLaunchFailed":
    case "processExited":
    case "taskFinished":
    case "leaderElected":
    case "leadershipRevoked":
      d.fx.push(ignored("unexpected-input", { type: input.type }));
      break;
    default:
      assertNever(input, "input");
  }
  settle(d);
  return d.fx;
}

/**
 * What Spark does asynchronously after a handler: the DAG scheduler's events, then the
 * self-sent ReviveOffers. Each may cause the other; a bound catches a livelock.
 */
function settle(d: DriverStep): void {
  for (let round = 0; ; round++) {
    assert(round < MAX_SETTLE_ROUNDS, "driver step does not settle");
    if (d.dagEvents.length > 0) {
      processDagEvents(d);
    } else if (d.reviveRequested) {
      d.reviveRequested = false;
      makeOffers(d);
    } else {
      return;
    }
  }
}

/** A dead or stopped driver takes no input; a job submitted now fails at once. */
function afterEnd(d: DriverStep, input: Input): void {
  if (input.type === "command" && input.command.kind === "submitJob") {
    d.fx.push(notify({ kind: "jobFailed", jobId: input.command.jobId, reason: `Driver has stopped: ${d.s.endReason}` }));
    return;
  }
  d.fx.push(ignored("driver-stopped", { type: input.type, phase: d.s.phase }));
}

function onTimer(d: DriverStep, key: string): void {
  switch (key) {
    case APP_REGISTRATION_TIMER:
      onRegistrationTimer(d);
      return;
    case APP_REREGISTRATION_TIMER:
      onReregistrationTimer(d);
      return;
    case REVIVE_TIMER:
      d.reviveRequested = true;
      d.fx.push(setTimer(REVIVE_TIMER, d.s.protocol.reviveIntervalMs));
      return;
    case EXPIRE_DEAD_HOSTS_TIMER:
      expireDeadHosts(d);
      d.fx.push(setTimer(EXPIRE_DEAD_HOSTS_TIMER, d.s.protocol.networkTimeoutIntervalMs));
      return;
    case SPECULATION_TIMER:
      checkSpeculatableTasks(d);
      d.fx.push(setTimer(SPECULATION_TIMER, d.s.protocol.speculationIntervalMs));
      return;
    default:
      d.fx.push(ignored("unknown-timer", { key }));
  }
}

/** onDisconnected: every dropped connection reaches every endpoint; each checks whether it matters. */
function onPeerDisconnected(d: DriverStep, peer: Address): void {
  if (d.s.appClient.master === peer) return onMasterDisconnected(d);
  if (onExecutorDisconnected(d, peer)) return;
  d.fx.push(ignored("unknown-peer", { peer }));
}

function onCommand(d: DriverStep, command: Command): void {
  switch (command.kind) {
    case "submitJob":
      return submitJob(d, command.jobId, command.taskSets);
    case "cancelJob":
      return cancelJob(d, command.jobId, command.reason);
    case "killTask":
      if (!killTaskAttempt(d, command.taskId, true, command.reason)) d.fx.push(ignored("unknown-task", { taskId: command.taskId }));
      return;
    case "requestTotalExecutors":
      return requestTotalExecutors(d, command.total);
    case "killExecutors":
      killExecutors(d, command.executorIds, true, false, false);
      return;
    case "stopApplication":
      return stopApplication(d);
    case "stop":
    case "submitDriver":
      d.fx.push(ignored("unexpected-command", { kind: command.kind }));
      return;
    default:
      assertNever(command, "command");
  }
}

/**
 * Messages the driver never acts on (the workers' and the master's business, and what the driver
 * itself sends): ignored as `unexpected-message`. StatusUpdate is handled before the switch.
 */
export const DRIVER_IGNORED_MESSAGES = [
  // worker <-> master
  "RegisterWorker",
  "RegisteredWorker",
  "RegisterWorkerFailed",
  "MasterInStandby",
  "Heartbeat",
  "ReconnectWorker",
  "WorkerLatestState",
  "WorkerSchedulerStateResponse",
  "LaunchExecutor",
  "KillExecutor",
  "ExecutorStateChanged",
  "ExecutorStateChangedResponse",
  "LaunchDriver",
  "KillDriver",
  "DriverStateChanged",
  "ApplicationFinished",
  // app client <-> master
  "RegisterApplication",
  "UnregisterApplication",
  "MasterChangeAcknowledged",
  "RequestExecutors",
  "KillExecutors",
  // submission client <-> master
  "RequestSubmitDriver",
  "SubmitDriverResponse",
  "RequestKillDriver",
  "KillDriverResponse",
  "RequestDriverStatus",
  "DriverStatusResponse",
  // driver <-> executor
  "RegisteredExecutor",
  "RegisterExecutorFailed",
  "LaunchTask",
  "KillTask",
  "StopExecutor",
  "HeartbeatResponse",
] as const satisfies readonly MessageType[];
const isIgnoredByDriver = messageTypeGuard(DRIVER_IGNORED_MESSAGES);

function onMessage(d: DriverStep, from: Address, msg: Message): void {
  // The per-task message first: a switch on strings compares its cases in order.
  if (msg.type === "StatusUpdate") return onStatusUpdate(d, msg);
  switch (msg.type) {
    // AppClient <- master
    case "RegisteredApplication":
      return onRegisteredApplication(d, msg);
    case "ApplicationRemoved":
      return onApplicationRemoved(d, msg);
    case "ExecutorAdded":
      return onExecutorAdded(d, msg);
    case "ExecutorUpdated":
      return onExecutorUpdated(d, msg);
    case "WorkerRemoved":
      return onWorkerRemoved(d, msg);
    case "MasterChanged":
      return onMasterChanged(d, msg);
    case "RequestExecutorsResponse":
    case "KillExecutorsResponse":
      d.fx.push(log("info", "masterAnswered", { type: msg.type, acknowledged: msg.acknowledged }));
      return;
    // DriverEndpoint and HeartbeatReceiver <- executors
    case "RegisterExecutor":
      return onRegisterExecutor(d, from, msg);
    case "LaunchedExecutor":
      return onLaunchedExecutor(d, msg);
    case "RemoveExecutor":
      return onRemoveExecutor(d, msg.executorId, { kind: "ExecutorLossReason", message: msg.reason });
    case "ExecutorHeartbeat":
      return onExecutorHeartbeat(d, from, msg);
    default:
      if (isIgnoredByDriver(msg)) d.fx.push(ignored("unexpected-message", { type: msg.type, from }));
      else assertNever(msg, "message");
  }
}

export const driver: Role<DriverRoleState, DriverConfig> = { name: "driver", init, step };
