/**
 * The reducer contract: inputs a host feeds a role, effects a role asks its host to carry out,
 * and the host contract both hosts (src/sim and src/real) obey. See DESIGN.md.
 *
 * THE HOST CONTRACT (written once, here):
 *  1. One input at a time: a host never calls `step` of a role while another `step` of the same
 *     role instance is running, and never shares a role's state with anything else.
 *  2. Effects are carried out in array order. A `send` to a peer is delivered after every earlier
 *     `send` from the same node to the same peer (FIFO per ordered pair), or lost with the link.
 *  3. `ctx.now` (integer ms) never decreases from one call to the next; ties are broken by the
 *     host's sequence number, never by wall-clock races.
 *  4. `setTimer(key, afterMs)` replaces a pending timer of the same key; a timer fires at most
 *     once per `setTimer`, as a `timer` input with its key, unless cancelled first.
 *  5. Every asynchronous effect comes back as one input per outcome: `launch` as
 *     `processLaunched` or `processLaunchFailed`, then `processExited`; `runTask` as exactly one
 *     `taskFinished` (unless the executor itself dies).
 *  6. `exit` ends the node: no input is delivered to it afterwards, and every process it launched
 *     dies with it (the host reports that to the peers as disconnects).
 *  7. A connection that breaks is reported to the node as `peerDisconnected(peer)` for the
 *     peer's listening address; the role decides whether that peer matters to it.
 */
import type { Address, AppId, DriverId, ExecutorNumber, JobId, TaskId, WorkerId } from "./ids.js";
import type { ApplicationDescription, DriverDescription, Message, TaskDescription, TaskPayload } from "./messages.js";
import type { PersistedRecord, StoredRecords } from "./records.js";
import type { IgnoreReason, LOG_LEVELS, LogEvent } from "./log-events.js";
import type { TaskState } from "./states.js";

/** What the host tells a role besides the input: the time now, in integer milliseconds. */
export interface Ctx {
  now: number;
}

/** A process a worker launched and the host runs. */
export type ProcessRef = { kind: "executor"; appId: AppId; execId: ExecutorNumber } | { kind: "driver"; driverId: DriverId };

export type LaunchSpec =
  | {
      kind: "executor";
      appId: AppId;
      execId: ExecutorNumber;
      cores: number;
      memoryMb: number;
      appDesc: ApplicationDescription;
      driverAddress: Address;
      workerAddress: Address;
      workerId: WorkerId;
    }
  | {
      kind: "driver";
      driverId: DriverId;
      desc: DriverDescription;
      workerAddress: Address;
      workerId: WorkerId;
    };

/** How a task's user code ended on an executor. */
export type TaskOutcome =
  | { kind: "success"; value: unknown; sizeBytes: number }
  | { kind: "failure"; message: string; stack?: string; notSerializable?: boolean }
  | { kind: "killed"; reason: string }
  /**
   * The host lost the task: whatever ran it went away without an outcome (a resource manager's
   * TASK_LOST, which Spark's Mesos fine-grained backend turns into a LOST update). The simulator's
   * `loseTasks` fault produces it; Spark's standalone executor never does.
   */
  | { kind: "lost"; reason: string };

/** A stage of a job: its tasks run before the next task set of the job starts. */
export interface TaskSetSpec {
  tasks: TaskPayload[];
  /** CPUs per task (spark.task.cpus); defaults to the config's taskCpus. */
  cpusPerTask?: number;
}

/** A user's request to a role (the driver's user API, a worker's stop). */
export type Command =
  | { kind: "submitJob"; jobId: JobId; taskSets: TaskSetSpec[] }
  | { kind: "cancelJob"; jobId: JobId; reason: string }
  | { kind: "killTask"; taskId: TaskId; reason: string }
  | { kind: "requestTotalExecutors"; total: number }
  | { kind: "killExecutors"; executorIds: string[] }
  | { kind: "stopApplication" }
  /** The submission client: ask the masters to run this driver (cluster deploy mode). */
  | { kind: "submitDriver"; desc: DriverDescription }
  | { kind: "stop" };

export type Input =
  | { type: "message"; from: Address; message: Message }
  | { type: "timer"; key: string }
  | { type: "peerDisconnected"; peer: Address }
  | { type: "processLaunched"; process: ProcessRef }
  | { type: "processLaunchFailed"; process: ProcessRef; error: string }
  | { type: "processExited"; process: ProcessRef; exitCode: number }
  | { type: "taskFinished"; taskId: TaskId; outcome: TaskOutcome }
  /** The election service made this master the leader; `stored` is what the store held. */
  | { type: "leaderElected"; stored: StoredRecords }
  | { type: "leadershipRevoked" }
  | { type: "command"; command: Command };

export type InputType = Input["type"];

/** Every input type, as a list (scenario selectors are validated against it); the compiler checks it is complete. */
export const INPUT_TYPES = Object.keys({
  message: true,
  timer: true,
  peerDisconnected: true,
  processLaunched: true,
  processLaunchFailed: true,
  processExited: true,
  taskFinished: true,
  leaderElected: true,
  leadershipRevoked: true,
  command: true,
} satisfies Record<InputType, true>) as InputType[];

/** What the driver tells its user (results, failures, progress). */
export type Notification =
  | { kind: "appRegistered"; appId: AppId }
  | { kind: "appDead"; reason: string }
  | { kind: "executorAdded"; executorId: string; host: string; cores: number }
  | { kind: "executorRemoved"; executorId: string; reason: string }
  | { kind: "jobProgress"; jobId: JobId; tasksFinished: number; tasksTotal: number }
  | { kind: "jobSucceeded"; jobId: JobId; results: unknown[] }
  | { kind: "jobFailed"; jobId: JobId; reason: string }
  | { kind: "taskEnded"; jobId: JobId; taskId: TaskId; index: number; state: TaskState; reason?: string }
  /** The submission client: the leader accepted submission number `submission` as `driverId`. */
  | { kind: "driverSubmitted"; submission: number; driverId: DriverId; master: Address; message: string }
  /** The submission client: no master accepted it (a leader refused, every master was lost, or the ask timed out). */
  | { kind: "driverSubmissionFailed"; submission: number; reason: string };

export type NotificationKind = Notification["kind"];

/** Every notification kind, as a list; the compiler checks it is complete. */
export const NOTIFICATION_KINDS = Object.keys({
  appRegistered: true,
  appDead: true,
  executorAdded: true,
  executorRemoved: true,
  jobProgress: true,
  jobSucceeded: true,
  jobFailed: true,
  taskEnded: true,
  driverSubmitted: true,
  driverSubmissionFailed: true,
} satisfies Record<NotificationKind, true>) as NotificationKind[];

export type LogLevel = (typeof LOG_LEVELS)[number];

export type Effect =
  | { type: "send"; to: Address; message: Message }
  | { type: "setTimer"; key: string; afterMs: number }
  | { type: "cancelTimer"; key: string }
  | { type: "launch"; spec: LaunchSpec }
  | { type: "kill"; process: ProcessRef; graceMs: number }
  | { type: "runTask"; task: TaskDescription }
  | { type: "killTask"; taskId: TaskId; reason: string }
  /** Worker: delete an application's work directories (Spark's maybeCleanupApplication). */
  | { type: "cleanupApp"; appId: AppId }
  | { type: "persist"; key: string; record: PersistedRecord }
  | { type: "unpersist"; key: string }
  | { type: "exit"; code: number; reason: string }
  | { type: "log"; level: LogLevel; event: LogEvent; fields: Record<string, unknown> }
  | { type: "notify"; notification: Notification };

export type EffectType = Effect["type"];

/** Every effect type, as a list; the compiler checks it is complete. */
export const EFFECT_TYPES = Object.keys({
  send: true,
  setTimer: true,
  cancelTimer: true,
  launch: true,
  kill: true,
  runTask: true,
  killTask: true,
  cleanupApp: true,
  persist: true,
  unpersist: true,
  exit: true,
  log: true,
  notify: true,
} satisfies Record<EffectType, true>) as EffectType[];

/** One role: `init` builds its state; `step` updates it in place (an immer recipe) and returns effects. */
export interface Role<S, C> {
  readonly name: string;
  init(config: C, ctx: Ctx): { state: S; effects: Effect[] };
  step(state: S, input: Input, ctx: Ctx): Effect[];
}

// ---- Small effect builders shared by the roles ----------------------------------------------

export const send = (to: Address, message: Message): Effect => ({ type: "send", to, message });
export const setTimer = (key: string, afterMs: number): Effect => ({ type: "setTimer", key, afterMs });
export const cancelTimer = (key: string): Effect => ({ type: "cancelTimer", key });
export const log = (level: LogLevel, event: LogEvent, fields: Record<string, unknown> = {}): Effect => ({
  type: "log",
  level,
  event,
  fields,
});
/** An input ignored on purpose, with a stable reason (STYLE.md rule 7). */
export const ignored = (why: IgnoreReason, fields: Record<string, unknown> = {}): Effect => ({
  type: "log",
  level: "warn",
  event: "ignored",
  fields: { why, ...fields },
});
export const exit = (code: number, reason: string): Effect => ({ type: "exit", code, reason });
export const notify = (notification: Notification): Effect => ({ type: "notify", notification });
