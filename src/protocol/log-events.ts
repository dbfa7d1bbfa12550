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
