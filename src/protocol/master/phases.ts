/**
 * The master by phase (docs/protocol.md §3): for each recovery state, what the master does with
 * each message it handles. The one place that says what STANDBY, RECOVERING, COMPLETING_RECOVERY
 * and ALIVE accept; the handlers (handlers.ts) assume their phase allows them, and index.ts steps
 * through this table, in the style of etcd's raft (a step function chosen by the role's state).
 *
 *  - "handle": the message's handler runs.
 *  - "answer-standby": a standby answers as Spark's does (RegisterWorker: MasterInStandby, so the
 *    worker tries the next master; RegisterApplication: silence, so the driver's next round does).
 *  - "answer-not-alive": a request only a leader serves is refused with "Current state is not
 *    alive" (not-alive.ts), which a submission client reads as "ask the leader".
 *
 * COMPLETING_RECOVERY is a state within one step (completeRecovery sets it and leaves it for
 * ALIVE before the step ends), so no input ever finds the master in it; its row repeats
 * RECOVERING's so that the table stays total.
 */
import type { MessageType } from "../messages.js";
import type { RecoveryState } from "../states.js";

/** Messages the master handles (in the phases whose rule is "handle"). */
export const MASTER_HANDLED_MESSAGES = [
  "RegisterWorker",
  "RegisterApplication",
  "ExecutorStateChanged",
  "DriverStateChanged",
  "Heartbeat",
  "MasterChangeAcknowledged",
  "WorkerSchedulerStateResponse",
  "WorkerLatestState",
  "UnregisterApplication",
  "RequestSubmitDriver",
  "RequestKillDriver",
  "RequestDriverStatus",
  "RequestExecutors",
  "KillExecutors",
] as const satisfies readonly MessageType[];
export type MasterHandledType = (typeof MASTER_HANDLED_MESSAGES)[number];

/** Messages the master never handles, in any phase: each is ignored with `why: "unexpected-message"`. */
export const MASTER_IGNORED_MESSAGES = [
  "RegisteredWorker",
  "RegisterWorkerFailed",
  "MasterInStandby",
  "ReconnectWorker",
  "MasterChanged",
  "LaunchExecutor",
  "KillExecutor",
  "ExecutorStateChangedResponse",
  "LaunchDriver",
  "KillDriver",
  "ApplicationFinished",
  "RegisteredApplication",
  "ExecutorAdded",
  "ExecutorUpdated",
  "ApplicationRemoved",
  "WorkerRemoved",
  "RequestExecutorsResponse",
  "KillExecutorsResponse",
  "SubmitDriverResponse",
  "KillDriverResponse",
  "DriverStatusResponse",
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
export type MasterIgnoredType = (typeof MASTER_IGNORED_MESSAGES)[number];

// Every message type is handled or ignored, and none is both: a new message does not compile
// until it is placed in one of the two lists.
type Unplaced = Exclude<MessageType, MasterHandledType | MasterIgnoredType>;
type PlacedTwice = Extract<MasterHandledType, MasterIgnoredType>;
const everyMessagePlaced: [Unplaced, PlacedTwice] extends [never, never] ? true : false = true;
void everyMessagePlaced;

export type MessageRule = "handle" | "answer-standby" | "answer-not-alive";

const LEADER_ONLY: { readonly [T in MasterHandledType]: MessageRule } = {
  RegisterWorker: "handle",
  RegisterApplication: "handle",
  ExecutorStateChanged: "handle",
  DriverStateChanged: "handle",
  Heartbeat: "handle",
  MasterChangeAcknowledged: "handle",
  WorkerSchedulerStateResponse: "handle",
  WorkerLatestState: "handle",
  UnregisterApplication: "handle",
  RequestSubmitDriver: "answer-not-alive",
  RequestKillDriver: "answer-not-alive",
  RequestDriverStatus: "answer-not-alive",
  RequestExecutors: "handle",
  KillExecutors: "handle",
};

/**
 * What each phase does with each handled message. A STANDBY master knows no worker, app or driver
 * (it has read nothing from the store), so the reports it "handles" (heartbeats, state changes)
 * find nothing and are answered as unknown ones, as in Spark, whose standby runs the same handlers.
 */
export const MASTER_PHASES: { readonly [P in RecoveryState]: { readonly [T in MasterHandledType]: MessageRule } } = {
  STANDBY: { ...LEADER_ONLY, RegisterWorker: "answer-standby", RegisterApplication: "answer-standby" },
  RECOVERING: LEADER_ONLY,
  COMPLETING_RECOVERY: LEADER_ONLY,
  ALIVE: {
    ...LEADER_ONLY,
    RequestSubmitDriver: "handle",
    RequestKillDriver: "handle",
    RequestDriverStatus: "handle",
  },
};

/** The phases in which an election result is taken: only a standby becomes leader. */
export const ACCEPTS_LEADER_ELECTED: { readonly [P in RecoveryState]: boolean } = {
  STANDBY: true,
  RECOVERING: false,
  COMPLETING_RECOVERY: false,
  ALIVE: false,
};

/** The phase in which the completeRecovery timer completes recovery; in any other it is stale. */
export const ACCEPTS_COMPLETE_RECOVERY_TIMER: { readonly [P in RecoveryState]: boolean } = {
  STANDBY: false,
  RECOVERING: true,
  COMPLETING_RECOVERY: false,
  ALIVE: false,
};

const IGNORED = new Set<MessageType>(MASTER_IGNORED_MESSAGES);
export const isIgnoredByMaster = (type: MessageType): type is MasterIgnoredType => IGNORED.has(type);
