/** The executor's dispatch: input type, then message type (STYLE.md rule 6). */
import { assertNever } from "../assert.js";
import { refused } from "../authority.js";
import { ignored, type Ctx, type Effect, type Input } from "../io.js";
import { messageTypeGuard } from "../ignored-messages.js";
import type { Message, MessageType } from "../messages.js";
import { executorRefusal } from "./authority.js";
import { onHeartbeatResponse, onHeartbeatTimer } from "./heartbeat.js";
import { onPeerDisconnected, onStopExecutor } from "./lifecycle.js";
import { onRegisteredExecutor, onRegisterExecutorFailed, onRegistrationTimer } from "./registration.js";
import { TIMER_HEARTBEAT, TIMER_REGISTRATION, type ExecutorBackendState } from "./state.js";
import { onKillTask, onLaunchTask, onTaskFinished } from "./tasks.js";

/** Messages the executor never acts on (everyone's but its driver's): ignored as `unexpected-message`. */
export const EXECUTOR_IGNORED_MESSAGES = [
  // worker <-> master
  "RegisterWorker",
  "RegisteredWorker",
  "RegisterWorkerFailed",
  "MasterInStandby",
  "Heartbeat",
  "ReconnectWorker",
  "WorkerLatestState",
  "MasterChanged",
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
  "LaunchedExecutor",
  "StatusUpdate",
  "RemoveExecutor",
  "ExecutorHeartbeat",
] as const satisfies readonly MessageType[];
const isIgnoredByExecutor = messageTypeGuard(EXECUTOR_IGNORED_MESSAGES);

export function stepExecutor(s: ExecutorBackendState, input: Input, _ctx: Ctx): Effect[] {
  const fx: Effect[] = [];
  if (s.stopping && input.type !== "peerDisconnected") {
    // An exit effect went out with `stopping`; the host delivers nothing after it (contract 6).
    fx.push(ignored("stopping", { type: input.type }));
    return fx;
  }
  switch (input.type) {
    case "message": {
      const refusal = executorRefusal(s, input.from, input.message);
      if (refusal !== null) fx.push(refused(refusal, input.from, input.message.type));
      else onMessage(s, input.message, fx);
      break;
    }
    case "timer":
      if (input.key === TIMER_HEARTBEAT) onHeartbeatTimer(s, fx);
      else if (input.key === TIMER_REGISTRATION) onRegistrationTimer(s, fx);
      else fx.push(ignored("unknown-timer", { key: input.key }));
      break;
    case "peerDisconnected":
      onPeerDisconnected(s, input.peer, fx);
      break;
    case "taskFinished":
      onTaskFinished(s, input.taskId, input.outcome, fx);
      break;
    case "processLaunched":
    case "processLaunchFailed":
    case "processExited":
    case "leaderElected":
    case "leadershipRevoked":
    case "command":
      fx.push(ignored("unexpected-input", { type: input.type }));
      break;
    default:
      assertNever(input, "input");
  }
  return fx;
}

function onMessage(s: ExecutorBackendState, m: Message, fx: Effect[]): void {
  switch (m.type) {
    case "RegisteredExecutor":
    case "RegisterExecutorFailed":
    case "LaunchTask":
    case "KillTask":
    case "StopExecutor":
    case "HeartbeatResponse":
      onDriverMessage(s, m, fx);
      break;
    default:
      if (isIgnoredByExecutor(m)) fx.push(ignored("unexpected-message", { type: m.type }));
      else assertNever(m, "message");
  }
}

type DriverMessage = Extract<
  Message,
  { type: "RegisteredExecutor" | "RegisterExecutorFailed" | "LaunchTask" | "KillTask" | "StopExecutor" | "HeartbeatResponse" }
>;

function onDriverMessage(s: ExecutorBackendState, m: DriverMessage, fx: Effect[]): void {
  switch (m.type) {
    case "RegisteredExecutor":
      onRegisteredExecutor(s, fx);
      break;
    case "RegisterExecutorFailed":
      onRegisterExecutorFailed(s, m, fx);
      break;
    case "LaunchTask":
      onLaunchTask(s, m, fx);
      break;
    case "KillTask":
      onKillTask(s, m, fx);
      break;
    case "StopExecutor":
      onStopExecutor(s, fx);
      break;
    case "HeartbeatResponse":
      onHeartbeatResponse(s, m, fx);
      break;
    default:
      assertNever(m, "driver message");
  }
}
