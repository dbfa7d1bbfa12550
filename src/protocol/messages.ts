/**
 * Every wire message of docs/protocol.md §1.1 that the master, worker, driver and executor exchange,
 * as one discriminated union on `type`, keeping Spark's names. All are one-way: where Spark uses
 * an ask, the reply is a message of its own (`...Response`), so the same code runs over a
 * simulated link or a socket. Where Spark passes an endpoint ref we pass an `Address`.
 *
 * Each message is defined once, as a schema (schema.ts): its TypeScript type is derived from it
 * (`Static`), the codec (src/real/codec.ts) validates frames with it, and docs/messages.md is
 * generated from it (`npm run schema`). A field left out of a schema is gone from the type, the
 * codec and the document alike.
 */
import { Type } from "@sinclair/typebox";
// Named so that the emitted declarations can name the symbols the schemas' types carry (TS4023 otherwise).
// biome-ignore lint/correctness/noUnusedImports: used by the declaration emit, not by the code
import type { Hint, Kind, OptionalKind, ReadonlyKind } from "@sinclair/typebox";
import type { Address, AppId, DriverId, ExecutorId, WorkerId } from "./ids.js";
import { brandedString, exact, finite, id, integer, message, type Static, type TObject } from "./schema.js";
import { DriverState, ExecutorState, TaskState } from "./states.js";

// ---- Field types -------------------------------------------------------------------------------

/** A node's listening address (`flint://host:port`). */
const address = brandedString<Address>("Address");
const workerId = id<WorkerId>("WorkerId");
const appId = id<AppId>("AppId");
const driverId = id<DriverId>("DriverId");
/** The driver-side executor id: the decimal string of the executor number. */
const executorId = id<ExecutorId>("ExecutorId");
/** An executor id is an integer per application (Spark's `ExecutorDesc.id`). */
const executorNumber = integer({ title: "ExecutorNumber" });
/** A task attempt id (Spark's TID): grows per driver, never reused. */
const taskId = integer({ title: "TaskId" });
const str = Type.String;
const bool = Type.Boolean;
const opt = Type.Optional;
/** Opaque to the protocol: any JSON object. */
const opaqueObject = Type.Record(Type.String(), Type.Unknown());

// ---- Records that messages carry -----------------------------------------------------------------

export const ApplicationDescription = exact(
  "ApplicationDescription",
  {
    name: str(),
    maxCores: opt(integer({ description: "`spark.cores.max`; absent means `spark.deploy.defaultCores` applies." })),
    memoryPerExecutorMb: finite({ description: "`spark.executor.memory`, in MiB (default 1024)." }),
    coresPerExecutor: opt(integer({ description: "`spark.executor.cores`; absent means one executor takes every free core of a worker." })),
    initialExecutorLimit: opt(integer({ description: "Dynamic allocation's initial limit; absent means no limit." })),
    command: { ...opaqueObject, description: "Opaque to the protocol: what an executor process must run (the real host's module, ...)." },
  },
  { description: "What the master needs to launch an application's executors (Spark's ApplicationDescription)." },
);
export type ApplicationDescription = Static<typeof ApplicationDescription>;

export const DriverDescription = exact(
  "DriverDescription",
  {
    cores: integer(),
    memoryMb: finite(),
    supervise: bool(),
    command: { ...opaqueObject, description: "Opaque to the protocol: what the driver process must run." },
  },
  { description: "What the master needs to launch a cluster-mode driver (Spark's DriverDescription)." },
);
export type DriverDescription = Static<typeof DriverDescription>;

export const ExecutorDescription = exact(
  "ExecutorDescription",
  { appId, execId: executorNumber, cores: integer(), memoryMb: finite(), state: ExecutorState },
  { description: "An executor as a worker reports it (Spark's ExecutorDescription)." },
);
export type ExecutorDescription = Static<typeof ExecutorDescription>;

export const TaskPayload = exact(
  "TaskPayload",
  {
    data: Type.Unknown({ description: "Opaque data (any JSON value)." }),
    sizeBytes: finite({ description: "Its serialized size, which the size check reads." }),
  },
  { description: "A task's payload: opaque data plus its serialized size." },
);
export type TaskPayload = Static<typeof TaskPayload>;

export const TaskDescription = exact(
  "TaskDescription",
  {
    taskId,
    attemptNumber: integer(),
    executorId,
    taskSetId: str({ description: "`<jobId>.<stage>.<stageAttempt>`: the task set this attempt belongs to." }),
    index: integer(),
    cpus: integer(),
    payload: TaskPayload,
  },
  { description: "Spark's TaskDescription, as `LaunchTask` carries it." },
);
export type TaskDescription = Static<typeof TaskDescription>;

export const TaskFailureData = Type.Union(
  [
    exact(undefined, { kind: Type.Literal("exception"), message: str(), stack: opt(str()), notSerializable: opt(bool()) }),
    exact(undefined, { kind: Type.Literal("killed"), reason: str() }),
  ],
  { title: "TaskFailureData", description: "The reason a task failed, as the executor reports it in a FAILED or KILLED StatusUpdate." },
);
export type TaskFailureData = Static<typeof TaskFailureData>;

export const StatusData = Type.Union(
  [
    exact(undefined, { kind: Type.Literal("none") }),
    exact(undefined, {
      kind: Type.Literal("result"),
      value: Type.Unknown({ description: "The task's result (any JSON value)." }),
      sizeBytes: finite(),
    }),
    exact(undefined, { kind: Type.Literal("failure"), failure: TaskFailureData }),
  ],
  { title: "StatusData", description: "What a StatusUpdate's `data` holds: a result for FINISHED, a failure otherwise." },
);
export type StatusData = Static<typeof StatusData>;

// ---- Deploy messages: worker <-> master ---------------------------------------------------

export const RegisterWorker = message("RegisterWorker", {
  workerId,
  host: str(),
  port: integer(),
  workerAddress: address,
  cores: integer(),
  memoryMb: finite(),
  masterAddress: { ...address, description: "The master address this worker used (SPARK-20529)." },
});
export type RegisterWorker = Static<typeof RegisterWorker>;

export const RegisteredWorker = message("RegisteredWorker", {
  masterAddress: address,
  configuredMasterAddress: { ...address, description: "The address the worker used, echoed back (SPARK-20529)." },
  duplicate: bool({ description: "True when the master already knew this worker id (SPARK-23191, 3.0+)." }),
});
export type RegisteredWorker = Static<typeof RegisteredWorker>;

export const RegisterWorkerFailed = message("RegisterWorkerFailed", { message: str() });
export type RegisterWorkerFailed = Static<typeof RegisterWorkerFailed>;

export const MasterInStandby = message("MasterInStandby", {});
export type MasterInStandby = Static<typeof MasterInStandby>;

export const Heartbeat = message("Heartbeat", { workerId, workerAddress: address });
export type Heartbeat = Static<typeof Heartbeat>;

export const ReconnectWorker = message("ReconnectWorker", { masterUrl: address });
export type ReconnectWorker = Static<typeof ReconnectWorker>;

export const WorkerLatestState = message("WorkerLatestState", {
  workerId,
  executors: Type.Array(ExecutorDescription),
  driverIds: Type.Array(driverId),
});
export type WorkerLatestState = Static<typeof WorkerLatestState>;

export const MasterChanged = message("MasterChanged", { masterAddress: address });
export type MasterChanged = Static<typeof MasterChanged>;

export const WorkerSchedulerStateResponse = message("WorkerSchedulerStateResponse", {
  workerId,
  executors: Type.Array(ExecutorDescription),
  driverIds: Type.Array(driverId),
});
export type WorkerSchedulerStateResponse = Static<typeof WorkerSchedulerStateResponse>;

export const LaunchExecutor = message("LaunchExecutor", {
  masterUrl: address,
  appId,
  execId: executorNumber,
  appDesc: ApplicationDescription,
  driverAddress: { ...address, description: "The driver's address, so the executor can register with it." },
  cores: integer(),
  memoryMb: finite(),
});
export type LaunchExecutor = Static<typeof LaunchExecutor>;

export const KillExecutor = message("KillExecutor", { masterUrl: address, appId, execId: executorNumber });
export type KillExecutor = Static<typeof KillExecutor>;

export const ExecutorStateChanged = message(
  "ExecutorStateChanged",
  { appId, execId: executorNumber, state: ExecutorState, message: opt(str()), exitStatus: opt(integer()) },
  "Worker -> master. Spark 3.2+ makes it an ask; the master answers `ExecutorStateChangedResponse`.",
);
export type ExecutorStateChanged = Static<typeof ExecutorStateChanged>;

export const ExecutorStateChangedResponse = message("ExecutorStateChangedResponse", {
  appId,
  execId: executorNumber,
  state: ExecutorState,
});
export type ExecutorStateChangedResponse = Static<typeof ExecutorStateChangedResponse>;

export const LaunchDriver = message("LaunchDriver", { driverId, desc: DriverDescription });
export type LaunchDriver = Static<typeof LaunchDriver>;

export const KillDriver = message("KillDriver", { driverId });
export type KillDriver = Static<typeof KillDriver>;

export const DriverStateChanged = message("DriverStateChanged", { driverId, state: DriverState, exception: opt(str()) });
export type DriverStateChanged = Static<typeof DriverStateChanged>;

export const ApplicationFinished = message("ApplicationFinished", { appId });
export type ApplicationFinished = Static<typeof ApplicationFinished>;

// ---- Deploy messages: app client <-> master ------------------------------------------------

export const RegisterApplication = message("RegisterApplication", { appDesc: ApplicationDescription, driverAddress: address });
export type RegisterApplication = Static<typeof RegisterApplication>;

export const RegisteredApplication = message("RegisteredApplication", { appId, masterAddress: address });
export type RegisteredApplication = Static<typeof RegisteredApplication>;

export const UnregisterApplication = message("UnregisterApplication", { appId });
export type UnregisterApplication = Static<typeof UnregisterApplication>;

export const MasterChangeAcknowledged = message("MasterChangeAcknowledged", { appId });
export type MasterChangeAcknowledged = Static<typeof MasterChangeAcknowledged>;

export const ExecutorAdded = message("ExecutorAdded", {
  execId: executorNumber,
  workerId,
  hostPort: str(),
  cores: integer(),
  memoryMb: finite(),
});
export type ExecutorAdded = Static<typeof ExecutorAdded>;

export const ExecutorUpdated = message("ExecutorUpdated", {
  execId: executorNumber,
  state: ExecutorState,
  message: opt(str()),
  exitStatus: opt(integer()),
  workerHost: opt(str({ description: "Set when the worker was lost (3.1+ `workerHost`)." })),
});
export type ExecutorUpdated = Static<typeof ExecutorUpdated>;

export const ApplicationRemoved = message("ApplicationRemoved", { message: str() });
export type ApplicationRemoved = Static<typeof ApplicationRemoved>;

export const WorkerRemoved = message("WorkerRemoved", { workerId, host: str(), message: str() });
export type WorkerRemoved = Static<typeof WorkerRemoved>;

export const RequestExecutors = message("RequestExecutors", { appId, requestedTotal: integer() });
export type RequestExecutors = Static<typeof RequestExecutors>;

export const RequestExecutorsResponse = message("RequestExecutorsResponse", { appId, acknowledged: bool() });
export type RequestExecutorsResponse = Static<typeof RequestExecutorsResponse>;

export const KillExecutors = message("KillExecutors", { appId, executorIds: Type.Array(id<string>("ExecutorId")) });
export type KillExecutors = Static<typeof KillExecutors>;

export const KillExecutorsResponse = message("KillExecutorsResponse", { appId, acknowledged: bool() });
export type KillExecutorsResponse = Static<typeof KillExecutorsResponse>;

// ---- Submission client <-> master (cluster deploy mode) ------------------------------------

export const RequestSubmitDriver = message("RequestSubmitDriver", { desc: DriverDescription });
export type RequestSubmitDriver = Static<typeof RequestSubmitDriver>;

export const SubmitDriverResponse = message("SubmitDriverResponse", {
  masterAddress: address,
  success: bool(),
  driverId: opt(driverId),
  message: str(),
});
export type SubmitDriverResponse = Static<typeof SubmitDriverResponse>;

export const RequestKillDriver = message("RequestKillDriver", { driverId });
export type RequestKillDriver = Static<typeof RequestKillDriver>;

export const KillDriverResponse = message("KillDriverResponse", { masterAddress: address, driverId, success: bool(), message: str() });
export type KillDriverResponse = Static<typeof KillDriverResponse>;

export const RequestDriverStatus = message("RequestDriverStatus", { driverId });
export type RequestDriverStatus = Static<typeof RequestDriverStatus>;

export const DriverStatusResponse = message("DriverStatusResponse", {
  found: bool(),
  state: opt(DriverState),
  workerId: opt(workerId),
  workerHostPort: opt(str()),
  exception: opt(str()),
});
export type DriverStatusResponse = Static<typeof DriverStatusResponse>;

// ---- Cluster messages: driver <-> executor -------------------------------------------------

export const RegisterExecutor = message("RegisterExecutor", { executorId, executorAddress: address, hostname: str(), cores: integer() });
export type RegisterExecutor = Static<typeof RegisterExecutor>;

export const RegisteredExecutor = message(
  "RegisteredExecutor",
  {},
  "The driver's positive answer to RegisterExecutor (the 3.0+ ask reply, as a message).",
);
export type RegisteredExecutor = Static<typeof RegisteredExecutor>;

export const RegisterExecutorFailed = message("RegisterExecutorFailed", { message: str() });
export type RegisterExecutorFailed = Static<typeof RegisterExecutorFailed>;

export const LaunchedExecutor = message("LaunchedExecutor", { executorId });
export type LaunchedExecutor = Static<typeof LaunchedExecutor>;

export const StatusUpdate = message("StatusUpdate", {
  executorId,
  taskId,
  state: TaskState,
  data: StatusData,
  taskCpus: integer({ description: "CPUs to give back (3.4+, SPARK-41848)." }),
});
export type StatusUpdate = Static<typeof StatusUpdate>;

export const LaunchTask = message("LaunchTask", { task: TaskDescription });
export type LaunchTask = Static<typeof LaunchTask>;

export const KillTask = message("KillTask", { taskId, executorId, interruptThread: bool(), reason: str() });
export type KillTask = Static<typeof KillTask>;

export const StopExecutor = message("StopExecutor", {});
export type StopExecutor = Static<typeof StopExecutor>;

export const RemoveExecutor = message(
  "RemoveExecutor",
  { executorId, reason: str() },
  "Executor -> driver when it exits on its own (Spark's RemoveExecutor with a loss reason).",
);
export type RemoveExecutor = Static<typeof RemoveExecutor>;

export const ExecutorHeartbeat = message(
  "ExecutorHeartbeat",
  { executorId },
  "Executor -> driver's HeartbeatReceiver (Spark's `Heartbeat` ask of the executor).",
);
export type ExecutorHeartbeat = Static<typeof ExecutorHeartbeat>;

export const HeartbeatResponse = message("HeartbeatResponse", { reregisterBlockManager: bool() });
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

// ---- The union ------------------------------------------------------------------------------

/** Every message schema, in the protocol's order (MESSAGE_TYPES, the coverage table and the document follow it). */
const MESSAGE_SCHEMA_LIST = [
  RegisterWorker,
  RegisteredWorker,
  RegisterWorkerFailed,
  MasterInStandby,
  Heartbeat,
  ReconnectWorker,
  WorkerLatestState,
  MasterChanged,
  WorkerSchedulerStateResponse,
  LaunchExecutor,
  KillExecutor,
  ExecutorStateChanged,
  ExecutorStateChangedResponse,
  LaunchDriver,
  KillDriver,
  DriverStateChanged,
  ApplicationFinished,
  RegisterApplication,
  RegisteredApplication,
  UnregisterApplication,
  MasterChangeAcknowledged,
  ExecutorAdded,
  ExecutorUpdated,
  ApplicationRemoved,
  WorkerRemoved,
  RequestExecutors,
  RequestExecutorsResponse,
  KillExecutors,
  KillExecutorsResponse,
  RequestSubmitDriver,
  SubmitDriverResponse,
  RequestKillDriver,
  KillDriverResponse,
  RequestDriverStatus,
  DriverStatusResponse,
  RegisterExecutor,
  RegisteredExecutor,
  RegisterExecutorFailed,
  LaunchedExecutor,
  StatusUpdate,
  LaunchTask,
  KillTask,
  StopExecutor,
  RemoveExecutor,
  ExecutorHeartbeat,
  HeartbeatResponse,
] as const;

/** The schema of any message: the union of the list above. */
export const Message = Type.Union([...MESSAGE_SCHEMA_LIST], { title: "Message" });
export type Message = Static<typeof Message>;

export type MessageType = Message["type"];

/** Every message type, in the protocol's order, for validation of frames and scenario files and for exhaustiveness tests. */
export const MESSAGE_TYPES: readonly MessageType[] = MESSAGE_SCHEMA_LIST.map((schema) => schema.properties.type.const);

/** Each message type's schema (the codec compiles them; messages-doc.ts documents them). */
export const MESSAGE_SCHEMAS: { readonly [T in MessageType]: TObject } = Object.fromEntries(
  MESSAGE_SCHEMA_LIST.map((schema) => [schema.properties.type.const, schema]),
) as unknown as { readonly [T in MessageType]: TObject };

/** The records messages carry, for the document. */
export const RECORD_SCHEMAS = [
  ApplicationDescription,
  DriverDescription,
  ExecutorDescription,
  TaskDescription,
  TaskPayload,
  StatusData,
  TaskFailureData,
] as const;
