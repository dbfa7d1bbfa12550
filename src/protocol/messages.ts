/**
 * Every wire message of docs/protocol.md §1.1 that the master, worker, driver and executor exchange,
 * as one discriminated union on `type`, keeping Spark's names. All are one-way: where Spark uses
 * an ask, the reply is a message of its own (`...Response`), so the same code runs over a
 * simulated link or a socket. Where Spark passes an endpoint ref we pass an `Address`.
 */
import type { Address, AppId, DriverId, ExecutorId, ExecutorNumber, TaskId, WorkerId } from "./ids.js";
import type { DriverState, ExecutorState, TaskState } from "./states.js";

/** What the master needs to launch an application's executors (Spark's ApplicationDescription). */
export interface ApplicationDescription {
  name: string;
  /** `spark.cores.max`; undefined means `spark.deploy.defaultCores` applies. */
  maxCores?: number;
  /** `spark.executor.memory`, in MiB (default 1024). */
  memoryPerExecutorMb: number;
  /** `spark.executor.cores`; undefined means one executor takes every free core of a worker. */
  coresPerExecutor?: number;
  /** Dynamic allocation's initial limit; undefined means no limit. */
  initialExecutorLimit?: number;
  /** Opaque to the protocol: what an executor process must run (the real host's module, ...). */
  command: Record<string, unknown>;
}

/** What the master needs to launch a cluster-mode driver (Spark's DriverDescription). */
export interface DriverDescription {
  cores: number;
  memoryMb: number;
  supervise: boolean;
  /** Opaque to the protocol: what the driver process must run. */
  command: Record<string, unknown>;
}

/** An executor as a worker reports it (Spark's ExecutorDescription). */
export interface ExecutorDescription {
  appId: AppId;
  execId: ExecutorNumber;
  cores: number;
  memoryMb: number;
  state: ExecutorState;
}

/** A task's payload: opaque data plus its serialized size, which the size check reads. */
export interface TaskPayload {
  data: unknown;
  sizeBytes: number;
}

/** Spark's TaskDescription, as `LaunchTask` carries it. */
export interface TaskDescription {
  taskId: TaskId;
  attemptNumber: number;
  executorId: ExecutorId;
  /** `<jobId>.<stage>.<stageAttempt>`: the task set this attempt belongs to. */
  taskSetId: string;
  index: number;
  cpus: number;
  payload: TaskPayload;
}

/** The reason a task failed, as the executor reports it in a FAILED or KILLED StatusUpdate. */
export type TaskFailureData =
  | { kind: "exception"; message: string; stack?: string; notSerializable?: boolean }
  | { kind: "killed"; reason: string };

/** What a StatusUpdate's `data` holds: a result for FINISHED, a failure otherwise. */
export type StatusData =
  | { kind: "none" }
  | { kind: "result"; value: unknown; sizeBytes: number }
  | { kind: "failure"; failure: TaskFailureData };

// ---- Deploy messages: worker <-> master ---------------------------------------------------

export interface RegisterWorker {
  type: "RegisterWorker";
  workerId: WorkerId;
  host: string;
  port: number;
  workerAddress: Address;
  cores: number;
  memoryMb: number;
  /** The master address this worker used (SPARK-20529). */
  masterAddress: Address;
}
export interface RegisteredWorker {
  type: "RegisteredWorker";
  masterAddress: Address;
  /** The address the worker used, echoed back (SPARK-20529). */
  configuredMasterAddress: Address;
  /** True when the master already knew this worker id (SPARK-23191, 3.0+). */
  duplicate: boolean;
}
export interface RegisterWorkerFailed {
  type: "RegisterWorkerFailed";
  message: string;
}
export interface MasterInStandby {
  type: "MasterInStandby";
}
export interface Heartbeat {
  type: "Heartbeat";
  workerId: WorkerId;
  workerAddress: Address;
}
export interface ReconnectWorker {
  type: "ReconnectWorker";
  masterUrl: Address;
}
export interface WorkerLatestState {
  type: "WorkerLatestState";
  workerId: WorkerId;
  executors: ExecutorDescription[];
  driverIds: DriverId[];
}
export interface MasterChanged {
  type: "MasterChanged";
  masterAddress: Address;
}
export interface WorkerSchedulerStateResponse {
  type: "WorkerSchedulerStateResponse";
  workerId: WorkerId;
  executors: ExecutorDescription[];
  driverIds: DriverId[];
}
export interface LaunchExecutor {
  type: "LaunchExecutor";
  masterUrl: Address;
  appId: AppId;
  execId: ExecutorNumber;
  appDesc: ApplicationDescription;
  /** The driver's address, so the executor can register with it. */
  driverAddress: Address;
  cores: number;
  memoryMb: number;
}
export interface KillExecutor {
  type: "KillExecutor";
  masterUrl: Address;
  appId: AppId;
  execId: ExecutorNumber;
}
/** Worker -> master. Spark 3.2+ makes it an ask; the master answers `ExecutorStateChangedResponse`. */
export interface ExecutorStateChanged {
  type: "ExecutorStateChanged";
  appId: AppId;
  execId: ExecutorNumber;
  state: ExecutorState;
  message?: string;
  exitStatus?: number;
}
export interface ExecutorStateChangedResponse {
  type: "ExecutorStateChangedResponse";
  appId: AppId;
  execId: ExecutorNumber;
  state: ExecutorState;
}
export interface LaunchDriver {
  type: "LaunchDriver";
  driverId: DriverId;
  desc: DriverDescription;
}
export interface KillDriver {
  type: "KillDriver";
  driverId: DriverId;
}
export interface DriverStateChanged {
  type: "DriverStateChanged";
  driverId: DriverId;
  state: DriverState;
  exception?: string;
}
export interface ApplicationFinished {
  type: "ApplicationFinished";
  appId: AppId;
}

// ---- Deploy messages: app client <-> master ------------------------------------------------

export interface RegisterApplication {
  type: "RegisterApplication";
  appDesc: ApplicationDescription;
  driverAddress: Address;
}
export interface RegisteredApplication {
  type: "RegisteredApplication";
  appId: AppId;
  masterAddress: Address;
}
export interface UnregisterApplication {
  type: "UnregisterApplication";
  appId: AppId;
}
export interface MasterChangeAcknowledged {
  type: "MasterChangeAcknowledged";
  appId: AppId;
}
export interface ExecutorAdded {
  type: "ExecutorAdded";
  execId: ExecutorNumber;
  workerId: WorkerId;
  hostPort: string;
  cores: number;
  memoryMb: number;
}
export interface ExecutorUpdated {
  type: "ExecutorUpdated";
  execId: ExecutorNumber;
  state: ExecutorState;
  message?: string;
  exitStatus?: number;
  /** Set when the worker was lost (3.1+ `workerHost`). */
  workerHost?: string;
}
export interface ApplicationRemoved {
  type: "ApplicationRemoved";
  message: string;
}
export interface WorkerRemoved {
  type: "WorkerRemoved";
  workerId: WorkerId;
  host: string;
  message: string;
}
export interface RequestExecutors {
  type: "RequestExecutors";
  appId: AppId;
  requestedTotal: number;
}
export interface RequestExecutorsResponse {
  type: "RequestExecutorsResponse";
  appId: AppId;
  acknowledged: boolean;
}
export interface KillExecutors {
  type: "KillExecutors";
  appId: AppId;
  executorIds: string[];
}
export interface KillExecutorsResponse {
  type: "KillExecutorsResponse";
  appId: AppId;
  acknowledged: boolean;
}

// ---- Submission client <-> master (cluster deploy mode) ------------------------------------

export interface RequestSubmitDriver {
  type: "RequestSubmitDriver";
  desc: DriverDescription;
}
export interface SubmitDriverResponse {
  type: "SubmitDriverResponse";
  masterAddress: Address;
  success: boolean;
  driverId?: DriverId;
  message: string;
}
export interface RequestKillDriver {
  type: "RequestKillDriver";
  driverId: DriverId;
}
export interface KillDriverResponse {
  type: "KillDriverResponse";
  masterAddress: Address;
  driverId: DriverId;
  success: boolean;
  message: string;
}
export interface RequestDriverStatus {
  type: "RequestDriverStatus";
  driverId: DriverId;
}
export interface DriverStatusResponse {
  type: "DriverStatusResponse";
  found: boolean;
  state?: DriverState;
  workerId?: WorkerId;
  workerHostPort?: string;
  exception?: string;
}

// ---- Cluster messages: driver <-> executor -------------------------------------------------

export interface RegisterExecutor {
  type: "RegisterExecutor";
  executorId: ExecutorId;
  executorAddress: Address;
  hostname: string;
  cores: number;
}
/** The driver's positive answer to RegisterExecutor (the 3.0+ ask reply, as a message). */
export interface RegisteredExecutor {
  type: "RegisteredExecutor";
}
export interface RegisterExecutorFailed {
  type: "RegisterExecutorFailed";
  message: string;
}
export interface LaunchedExecutor {
  type: "LaunchedExecutor";
  executorId: ExecutorId;
}
export interface StatusUpdate {
  type: "StatusUpdate";
  executorId: ExecutorId;
  taskId: TaskId;
  state: TaskState;
  data: StatusData;
  /** CPUs to give back (3.4+, SPARK-41848). */
  taskCpus: number;
}
export interface LaunchTask {
  type: "LaunchTask";
  task: TaskDescription;
}
export interface KillTask {
  type: "KillTask";
  taskId: TaskId;
  executorId: ExecutorId;
  interruptThread: boolean;
  reason: string;
}
export interface StopExecutor {
  type: "StopExecutor";
}
/** Executor -> driver when it exits on its own (Spark's RemoveExecutor with a loss reason). */
export interface RemoveExecutor {
  type: "RemoveExecutor";
  executorId: ExecutorId;
  reason: string;
}
/** Executor -> driver's HeartbeatReceiver (Spark's `Heartbeat` ask of the executor). */
export interface ExecutorHeartbeat {
  type: "ExecutorHeartbeat";
  executorId: ExecutorId;
}
export interface HeartbeatResponse {
  type: "HeartbeatResponse";
  reregisterBlockManager: boolean;
}

export type Message =
  | RegisterWorker
  | RegisteredWorker
  | RegisterWorkerFailed
  | MasterInStandby
  | Heartbeat
  | ReconnectWorker
  | WorkerLatestState
  | MasterChanged
  | WorkerSchedulerStateResponse
  | LaunchExecutor
  | KillExecutor
  | ExecutorStateChanged
  | ExecutorStateChangedResponse
  | LaunchDriver
  | KillDriver
  | DriverStateChanged
  | ApplicationFinished
  | RegisterApplication
  | RegisteredApplication
  | UnregisterApplication
  | MasterChangeAcknowledged
  | ExecutorAdded
  | ExecutorUpdated
  | ApplicationRemoved
  | WorkerRemoved
  | RequestExecutors
  | RequestExecutorsResponse
  | KillExecutors
  | KillExecutorsResponse
  | RequestSubmitDriver
  | SubmitDriverResponse
  | RequestKillDriver
  | KillDriverResponse
  | RequestDriverStatus
  | DriverStatusResponse
  | RegisterExecutor
  | RegisteredExecutor
  | RegisterExecutorFailed
  | LaunchedExecutor
  | StatusUpdate
  | LaunchTask
  | KillTask
  | StopExecutor
  | RemoveExecutor
  | ExecutorHeartbeat
  | HeartbeatResponse;

export type MessageType = Message["type"];

const MESSAGE_TYPES_LISTED = [
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
  "RequestSubmitDriver",
  "SubmitDriverResponse",
  "RequestKillDriver",
  "KillDriverResponse",
  "RequestDriverStatus",
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

/** A message type the list lacks: the assignment below stops compiling, naming it, until it is listed. */
type UnlistedMessageType = Exclude<MessageType, (typeof MESSAGE_TYPES_LISTED)[number]>;
export const EVERY_MESSAGE_TYPE_LISTED: [UnlistedMessageType] extends [never] ? true : UnlistedMessageType = true;

/** Every message type (the compiler checks the list is complete), for validation of frames and scenario files and for exhaustiveness tests. */
export const MESSAGE_TYPES: readonly MessageType[] = MESSAGE_TYPES_LISTED;
