/** The worker's dispatch: input type, then message type (STYLE.md rule 6). */
import { assertNever } from "../assert.js";
import { refused } from "../authority.js";
import type { DriverId } from "../ids.js";
import { ignored, type Command, type Ctx, type Effect, type Input } from "../io.js";
import { messageTypeGuard } from "../ignored-messages.js";
import type { Message, MessageType } from "../messages.js";
import {
  killAllDrivers,
  onDriverExited,
  onDriverLaunched,
  onDriverLaunchFailed,
  onDriverRelaunchTimer,
  onKillDriver,
  onLaunchDriver,
} from "./drivers.js";
import { workerRefusal } from "./authority.js";
import { onExecutorStateChangedResponse, onExecutorStateSyncTimer } from "./executor-sync.js";
import {
  killAllExecutors,
  onApplicationFinished,
  onExecutorExited,
  onExecutorLaunched,
  onExecutorLaunchFailed,
  onKillExecutor,
  onLaunchExecutor,
} from "./executors.js";
import {
  onHeartbeatTimer,
  onMasterChanged,
  onPeerDisconnected,
  onRegisteredWorker,
  onRegisterWorkerFailed,
  onReregisterTimer,
  registerWithMaster,
} from "./registration.js";
import { DRIVER_RELAUNCH_PREFIX, EXECUTOR_STATE_SYNC_PREFIX, TIMER_HEARTBEAT, TIMER_REREGISTER, type WorkerState } from "./state.js";

/** Messages the worker never acts on (the master's, the drivers' and the executors' business): ignored as `unexpected-message`. */
export const WORKER_IGNORED_MESSAGES = [
  // worker <-> master
  "RegisterWorker",
  "Heartbeat",
  "WorkerLatestState",
  "WorkerSchedulerStateResponse",
  "ExecutorStateChanged",
  "DriverStateChanged",
  // app client <-> master
  "RegisterApplication",
  "RegisteredApplication",
  "UnregisterApplication",
  "MasterChangeAcknowledged",
  "ExecutorAdded",
  "ExecutorUpdated",
  "ApplicationRemoved",
  "WorkerRemoved",
  "RequestExecutors",
  "RequestExecutorsResponse",
  "KillExecutors",
  "KillExecutorsResponse",
  // submission client <-> master
  "RequestSubmitDriver",
  "SubmitDriverResponse",
  "RequestKillDriver",
  "KillDriverResponse",
  "RequestDriverStatus",
  "DriverStatusResponse",
  // driver <-> executor
  "RegisterExecutor",
  "RegisteredExecutor",
  "RegisterExecutorFailed",
  "LaunchedExecutor",
  "StatusUpdate",
  "LaunchTask",
  "KillTask",
  "StopExecutor",
  "RemoveExecutor",
  "ExecutorHeartbeat",
  "HeartbeatResponse",
] as const satisfies readonly MessageType[];
const isIgnoredByWorker = messageTypeGuard(WORKER_IGNORED_MESSAGES);

export function stepWorker(s: WorkerState, input: Input, ctx: Ctx): Effect[] {
  const fx: Effect[] = [];
  switch (input.type) {
    case "message": {
      const refusal = workerRefusal(s, input.from, input.message);
      if (refusal !== null) fx.push(refused(refusal, input.from, input.message.type));
      else {
        onMessage(s, input.message, fx);
        // The master that just took this worker over may be reached by another name than the one
        // it announces (a configured alias such as localhost): its orders come from that name.
        if (input.message.type === "RegisteredWorker" || input.message.type === "MasterChanged") s.masterSender = input.from;
      }
      break;
    }
    case "timer":
      onTimer(s, input.key, fx);
      break;
    case "peerDisconnected":
      onPeerDisconnected(s, input.peer, fx);
      break;
    case "processLaunched":
    case "processLaunchFailed":
    case "processExited":
      onProcessEvent(s, input, ctx.now, fx);
      break;
    case "command":
      onCommand(s, input.command, fx);
      break;
    case "taskFinished":
    case "leaderElected":
    case "leadershipRevoked":
      fx.push(ignored("unexpected-input", { type: input.type }));
      break;
    default:
      assertNever(input, "input");
  }
  return fx;
}

type ProcessEvent = Extract<Input, { type: "processLaunched" | "processLaunchFailed" | "processExited" }>;

/** The host's report on a process this worker launched, routed to its runner's kind. */
function onProcessEvent(s: WorkerState, event: ProcessEvent, now: number, fx: Effect[]): void {
  const ref = event.process;
  switch (event.type) {
    case "processLaunched":
      if (ref.kind === "executor") onExecutorLaunched(s, ref.appId, ref.execId, fx);
      else onDriverLaunched(s, ref.driverId, now, fx);
      break;
    case "processLaunchFailed":
      if (ref.kind === "executor") onExecutorLaunchFailed(s, ref.appId, ref.execId, event.error, fx);
      else onDriverLaunchFailed(s, ref.driverId, event.error, fx);
      break;
    case "processExited":
      if (ref.kind === "executor") onExecutorExited(s, ref.appId, ref.execId, event.exitCode, fx);
      else onDriverExited(s, ref.driverId, event.exitCode, now, fx);
      break;
    default:
      assertNever(event, "process event");
  }
}

function onMessage(s: WorkerState, m: Message, fx: Effect[]): void {
  switch (m.type) {
    case "RegisteredWorker":
      onRegisteredWorker(s, m, fx);
      break;
    case "RegisterWorkerFailed":
      onRegisterWorkerFailed(s, m, fx);
      break;
    case "MasterInStandby":
      // Spark ignores it: the master is not ready; the retry timer tries again.
      fx.push(ignored("master-in-standby"));
      break;
    case "MasterChanged":
      onMasterChanged(s, m, fx);
      break;
    case "ReconnectWorker":
      // masterUrl is not checked, and `connected` stays as it is (docs/protocol.md §1.3).
      registerWithMaster(s, fx);
      break;
    case "LaunchExecutor":
      onLaunchExecutor(s, m, fx);
      break;
    case "KillExecutor":
      onKillExecutor(s, m, fx);
      break;
    case "ExecutorStateChangedResponse":
      onExecutorStateChangedResponse(s, m, fx);
      break;
    case "LaunchDriver":
      onLaunchDriver(s, m, fx);
      break;
    case "KillDriver":
      onKillDriver(s, m, fx);
      break;
    case "ApplicationFinished":
      onApplicationFinished(s, m, fx);
      break;
    default:
      if (isIgnoredByWorker(m)) fx.push(ignored("unexpected-message", { type: m.type }));
      else assertNever(m, "message");
  }
}

function onTimer(s: WorkerState, key: string, fx: Effect[]): void {
  if (key === TIMER_REREGISTER) onReregisterTimer(s, fx);
  else if (key === TIMER_HEARTBEAT) onHeartbeatTimer(s, fx);
  else if (key.startsWith(EXECUTOR_STATE_SYNC_PREFIX)) onExecutorStateSyncTimer(s, key, key.slice(EXECUTOR_STATE_SYNC_PREFIX.length), fx);
  else if (key.startsWith(DRIVER_RELAUNCH_PREFIX)) onDriverRelaunchTimer(s, key, key.slice(DRIVER_RELAUNCH_PREFIX.length) as DriverId, fx);
  else fx.push(ignored("unknown-timer", { key }));
}

function onCommand(s: WorkerState, command: Command, fx: Effect[]): void {
  switch (command.kind) {
    case "stop":
      // Spark's onStop: kill every executor and driver runner.
      killAllExecutors(s, fx);
      killAllDrivers(s, fx);
      break;
    case "submitJob":
    case "cancelJob":
    case "killTask":
    case "requestTotalExecutors":
    case "killExecutors":
    case "stopApplication":
    case "submitDriver":
      fx.push(ignored("unexpected-command", { kind: command.kind }));
      break;
    default:
      assertNever(command, "command");
  }
}
