/**
 * Every event name a role's `log` effect may carry. The `log` builder (io.ts) is typed against this
 * list, so a new event name does not compile until it is declared here; scenario files select log
 * effects by these names (`"effect": "log:workerRemoved"`) and are validated against the same list,
 * so a misspelled name is an error when the file loads instead of a check that can never fail.
 */
export const LOG_EVENTS = [
  // master
  "masterStarted",
  "electedLeader",
  "recoveryCompleted",
  "workerRegistered",
  "duplicateWorkerRegistration",
  "workerRemoved",
  "reconnectWorker",
  "applicationRegistered",
  "duplicateAppRegistration",
  "applicationRemoved",
  "applicationFailed",
  "executorGranted",
  "executorUpdated",
  "executorFinishedOnMaster",
  "driverSubmitted",
  "driverRelaunched",
  "driverRemoved",
  "reportedExecutorOverCapacity",
  "executorLaunchTimedOut",
  "badExecutorIdReservation",
  "olderAppOfDriverNotRecovered",
  "limitReached",
  // worker
  "registeringWithMasters",
  "registration-retry-pending",
  "All masters are unresponsive! Giving up.",
  "duplicate-registration",
  "worker-registration-failed",
  "master-disconnected",
  "masterChanged",
  "dropped-no-master",
  "executor-started",
  "executor-state-sync-retry",
  "executor-state-sync-failed",
  "superseded-sync-answered",
  // driver
  "noMasterYet",
  "masterAnswered",
  "masterDisconnected",
  "registeredApplicationAgain",
  "reregisteringWithMasters",
  "applicationReplaced",
  "applicationDead",
  "jobSubmitted",
  "taskSetSubmitted",
  "taskSetAborted",
  "taskFailed",
  "duplicateTaskSuccess",
  "taskSpeculatable",
  "speculativeTaskLaunched",
  "executorRegistered",
  "executorRegistrationRefused",
  "executorRemoved",
  "executorAlreadyRemoved",
  "executorHeartbeatTimedOut",
  "heartbeatFromUnknownExecutor",
  "statusUpdateFromUnknownExecutor",
  "killUnknownExecutor",
  "killTaskOnUnknownExecutor",
  "removeUnknownExecutor",
  "noExecutorsToKill",
  // executor
  "heartbeat-failed",
  "told-to-reregister-block-manager",
  "executor-self-exiting",
  "peer-disconnected-while-stopping",
  // submission client
  "driverSubmissionFailed",
  // every role: an input ignored on purpose (`ignored`, with a `why`)
  "ignored",
] as const;

export type LogEvent = (typeof LOG_EVENTS)[number];

/**
 * Every reason an `ignored(why)` effect may give: the `why` of an input a role ignores on purpose
 * (STYLE.md rule 7). `ignored` (io.ts) is typed against this list, and the simulator checks every
 * `log` effect a step emits against LOG_EVENTS, LOG_LEVELS and this list at run time
 * (src/sim/invariants/declared-names.ts), so a reason that is not one of these names (a typo, an
 * empty string) fails a fuzz run instead of going unnoticed.
 */
export const IGNORE_REASONS = [
  // every role
  "unexpected-input",
  "unexpected-message",
  "unexpected-command",
  "unknown-timer",
  "stale-timer",
  // refusals by the authority tables (authority.ts RefusalReason)
  "sender-address-mismatch",
  "not-from-known-master",
  "not-from-active-master",
  "not-from-driver",
  "not-from-worker",
  "not-from-app-driver",
  "not-from-executor",
  // master
  "already-leader",
  "unsupported-command",
  "standby-ignores-app-registration",
  "unknown-executor",
  "executor-not-launching",
  "unexpected-driver-state",
  "heartbeat-from-unregistered-worker",
  "unknown-app-acknowledged",
  "unknown-worker-state-response",
  "executor-of-unknown-app",
  "unknown-driver-reported",
  "unknown-worker-latest-state",
  "unknown-app-unregistered",
  "unknown-executor-to-kill",
  "unknown-driver",
  // worker
  "no-pending-sync",
  "duplicate-driver",
  "driver-already-killed",
  "unknown-process",
  "wrong-runner-state",
  "already-registered",
  "invalid-master",
  "duplicate-executor",
  "duplicate-finished-executor",
  "executor-already-killed",
  "master-in-standby",
  // driver
  "driver-stopped",
  "unknown-peer",
  "unknown-task",
  "duplicate-job",
  "invalid-job",
  "job-already-finished",
  "unknown-job",
  "executor-already-launched",
  "attempt-already-finished",
  "task-on-another-executor",
  "not-registered",
  "already-disconnected",
  "not-reregistering",
  // executor
  "already-constructed",
  "duplicate-task",
  "no-pending-heartbeat",
  "stopping",
  // master, by phase and transition table
  "executor-transition-not-allowed",
  "recovery-not-in-progress",
  "no-standby-answer",
  "no-not-alive-answer",
  // submission client
  "not-a-master",
  "too-many-submissions",
  "unasked-submit-response",
  "submission-already-settled",
] as const;

export type IgnoreReason = (typeof IGNORE_REASONS)[number];

/** The levels of a `log` effect (io.ts LogLevel). */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
