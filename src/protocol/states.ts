/** The state enumerations of docs/protocol.md §1.1, as string unions (plain, serializable data). */

export type RecoveryState = "STANDBY" | "ALIVE" | "RECOVERING" | "COMPLETING_RECOVERY";

export type WorkerState = "ALIVE" | "DEAD" | "DECOMMISSIONED" | "UNKNOWN";

export type ApplicationState = "WAITING" | "RUNNING" | "FINISHED" | "FAILED" | "KILLED" | "UNKNOWN";

export type DriverState =
  | "SUBMITTED"
  | "RUNNING"
  | "FINISHED"
  | "RELAUNCHING"
  | "UNKNOWN"
  | "KILLED"
  | "FAILED"
  | "ERROR";

export type ExecutorState = "LAUNCHING" | "RUNNING" | "KILLED" | "FAILED" | "LOST" | "EXITED";

export type TaskState = "LAUNCHING" | "RUNNING" | "FINISHED" | "FAILED" | "KILLED" | "LOST";

export const isExecutorFinished = (s: ExecutorState): boolean =>
  s === "KILLED" || s === "FAILED" || s === "LOST" || s === "EXITED";

export const isTaskFinished = (s: TaskState): boolean =>
  s === "FINISHED" || s === "FAILED" || s === "KILLED" || s === "LOST";

export const isAppFinished = (s: ApplicationState): boolean => s !== "WAITING" && s !== "RUNNING";

/** Final driver states that `DriverStateChanged` may carry to the master. */
export const isDriverFinal = (s: DriverState): boolean =>
  s === "ERROR" || s === "FINISHED" || s === "KILLED" || s === "FAILED";
