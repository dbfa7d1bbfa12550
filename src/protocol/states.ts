/**
 * The state enumerations of docs/protocol.md §1.1, defined once as schemas (string unions: plain,
 * serializable data); each TypeScript type is derived from its schema.
 */
import { oneOf, type Static } from "./schema.js";

export const RecoveryState = oneOf("RecoveryState", ["STANDBY", "ALIVE", "RECOVERING", "COMPLETING_RECOVERY"]);
export type RecoveryState = Static<typeof RecoveryState>;

export const WorkerState = oneOf("WorkerState", ["ALIVE", "DEAD", "DECOMMISSIONED", "UNKNOWN"]);
export type WorkerState = Static<typeof WorkerState>;

export const ApplicationState = oneOf("ApplicationState", ["WAITING", "RUNNING", "FINISHED", "FAILED", "KILLED", "UNKNOWN"]);
export type ApplicationState = Static<typeof ApplicationState>;

export const DriverState = oneOf("DriverState", [
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
  "RELAUNCHING",
  "UNKNOWN",
  "KILLED",
  "FAILED",
  "ERROR",
]);
export type DriverState = Static<typeof DriverState>;

export const ExecutorState = oneOf("ExecutorState", ["LAUNCHING", "RUNNING", "KILLED", "FAILED", "LOST", "EXITED"]);
export type ExecutorState = Static<typeof ExecutorState>;

export const TaskState = oneOf("TaskState", ["LAUNCHING", "RUNNING", "FINISHED", "FAILED", "KILLED", "LOST"]);
export type TaskState = Static<typeof TaskState>;

export const isExecutorFinished = (s: ExecutorState): boolean => s === "KILLED" || s === "FAILED" || s === "LOST" || s === "EXITED";

export const isTaskFinished = (s: TaskState): boolean => s === "FINISHED" || s === "FAILED" || s === "KILLED" || s === "LOST";

export const isAppFinished = (s: ApplicationState): boolean => s !== "WAITING" && s !== "RUNNING";

/** Final driver states that `DriverStateChanged` may carry to the master. */
export const isDriverFinal = (s: DriverState): boolean => s === "ERROR" || s === "FINISHED" || s === "KILLED" || s === "FAILED";
