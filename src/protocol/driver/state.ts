/**
 * The driver's state (docs/protocol.md §1.4, §1.5, §1.7, §1.8): one reducer holding the AppClient, the
 * StandaloneSchedulerBackend listener, the DriverEndpoint, the HeartbeatReceiver, the
 * TaskSchedulerImpl with its TaskSetManagers, and a minimal DAG scheduler (jobs of sequential
 * stages of ResultTasks with no locality preference).
 */
import type { ProtocolConfig } from "../config.js";
import type { Address, AppId, ExecutorId, JobId, TaskId } from "../ids.js";
import type { ApplicationDescription } from "../messages.js";
import type { Effect } from "../io.js";
import type { TaskState } from "../states.js";
import type { TidTable } from "./tidTable.js";
import type { AttemptTable } from "./attempts.js";
import type { MedianHeap } from "./medianHeap.js";
import type { PendingQueue } from "./pendingQueue.js";

// ---- Timer keys (each periodic one re-arms itself when it fires) -----------------------------

/** One-shot check of a registration round (StandaloneAppClient's registrationRetryTimer). */
export const APP_REGISTRATION_TIMER = "appRegistration";
/**
 * One-shot, flint (not Spark): the next re-registration attempt after the connection to the master
 * broke while registered and no MasterChanged came (see appClient.ts, onMasterDisconnected).
 */
export const APP_REREGISTRATION_TIMER = "appReregistration";
/** Periodic, reviveIntervalMs: DriverEndpoint's ReviveOffers -> makeOffers(). */
export const REVIVE_TIMER = "revive";
/** Periodic, networkTimeoutIntervalMs: HeartbeatReceiver's ExpireDeadHosts. */
export const EXPIRE_DEAD_HOSTS_TIMER = "expireDeadHosts";
/** Periodic, speculationIntervalMs, only while speculation is on: TaskSchedulerImpl's checkSpeculatableTasks. */
export const SPECULATION_TIMER = "speculation";

// ---- Limits on collections that grow with outside input (STYLE.md rule 9) --------------------

/** Executors registered at once; a RegisterExecutor beyond it is refused. */
export const MAX_EXECUTORS = 100_000;
/** Jobs running at once; a submitJob beyond it fails at once. */
export const MAX_ACTIVE_JOBS = 10_000;
/** Tasks in one task set (stage); a submitJob with a larger one fails at once. */
export const MAX_TASKS_PER_TASK_SET = 1_000_000;
/** Finished job ids kept to reject a duplicate jobId (Spark's spark.ui.retainedJobs, 1000). */
export const RETAINED_FINISHED_JOBS = 1_000;
/** Rounds of (DAG events, revive) settled in one step before we call it a livelock. */
export const MAX_SETTLE_ROUNDS = 10_000;
/** DAG events handled in one step before we call it a livelock (a step ends at most every attempt once). */
export const MAX_DAG_EVENTS_PER_STEP = 10_000_000;

/** Executor exit codes that are not the application's fault (§1.4: heartbeat failure, disk store). */
export const EXIT_CODES_NOT_CAUSED_BY_APP: readonly number[] = [56, 53];

// ---- AppClient (§1.4) -------------------------------------------------------------------------

export interface AppClientState {
  /** The id the master gave us; null until the first RegisteredApplication (a later one overwrites it). */
  appId: AppId | null;
  /** True once any RegisteredApplication arrived; never goes back to false. */
  registered: boolean;
  /** The active master: set by RegisteredApplication and MasterChanged; null before registration. */
  master: Address | null;
  /** One-shot: the master's disconnect was reported once; MasterChanged or a RegisteredApplication re-arms it. */
  alreadyDisconnected: boolean;
  /**
   * Re-registration after the master's connection broke while registered (flint): the attempts
   * sent so far (0 during the grace before the first), or null when not re-registering.
   */
  reregistrationAttempt: number | null;
  /** One-shot: markDead ran (or the application was stopped); it never runs twice. */
  alreadyDead: boolean;
  /** The registration round in progress (1-based, at most appRegistrationRetries). */
  registrationRound: number;
}

// ---- DriverEndpoint (§1.5) --------------------------------------------------------------------

/** Spark's ExecutorData: one registered executor as the DriverEndpoint tracks it. */
export interface ExecutorData {
  /** The driver-side id (the decimal string of the master's executor number); its key in `executors`. */
  executorId: ExecutorId;
  /** The executor's listening address: where LaunchTask, KillTask and StopExecutor go. */
  address: Address;
  /** The hostname it registered with; offers and failure messages carry it. */
  host: string;
  /** The cores it registered with; fixed for its lifetime. */
  totalCores: number;
  /** 0 until LaunchedExecutor (3.0+); then 0 <= freeCores <= totalCores (I22). */
  freeCores: number;
  /** True once LaunchedExecutor arrived; a repeated one is ignored so that I22 holds. */
  launched: boolean;
  /** ctx.now of its RegisterExecutor. */
  registeredAtMs: number;
}

export interface BackendState {
  /** executorDataMap: every registered, not yet removed executor, keyed by executor id. */
  executors: Record<string, ExecutorData>;
  /** Listening address -> executor id, for exactly the executors in `executors`. */
  addressToExecutorId: Record<string, ExecutorId>;
  /** Executors the driver asked to kill: true = killedByDriver (its loss does not count). Keys are known executors. */
  executorsPendingToRemove: Record<string, boolean>;
  /** Sum of totalCores over `executors`. */
  totalCoreCount: number;
  /** Number of entries of `executors`. */
  totalRegisteredExecutors: number;
  /** The last total asked of the master with RequestExecutors; null while no one asked (no dynamic allocation). */
  requestedTotalExecutors: number | null;
  /**
   * Per executor, the TIDs a LOST update's executor loss took out of the scheduler while they still
   * run there (the backend keeps the executor, §4.4): each still holds its CPUs until its own
   * finished update gives them back (I22), once.
   */
  lostExecutorTaskIds: Record<string, TaskId[]>;
}

// ---- HeartbeatReceiver (§1.7) -----------------------------------------------------------------

export interface HeartbeatState {
  /** executorLastSeen: ctx.now of each tracked executor's registration or last heartbeat. */
  executorLastSeenMs: Record<string, number>;
}

// ---- TaskSchedulerImpl and TaskSetManager (§1.8, §4.2-§4.7) ------------------------------------

/**
 * Spark's TaskInfo: one task attempt (one TID), as `attemptInfo` reads it out of a task set's
 * AttemptTable (attempts.ts) for tests and diagnostics. Not stored as such.
 */
export interface TaskInfo {
  /** The attempt's TID, unique over the driver's life (I19). */
  taskId: TaskId;
  /** The task's index in its task set. */
  index: number;
  /** How many attempts of the index came before this one. */
  attemptNumber: number;
  /** The executor it was offered to; it never moves (I19). */
  executorId: ExecutorId;
  /** That executor's host, kept for failure messages after the executor is gone. */
  host: string;
  /** LAUNCHING until the first RUNNING update, then RUNNING, then one finished state (see ATTEMPT_TRANSITIONS). */
  status: TaskState;
}

export interface TaskSetManagerState {
  /** `<jobId>.<stageIndex>.0`: the key in `taskSets` and the TaskDescription's taskSetId. */
  taskSetId: string;
  /** The job this stage belongs to. */
  jobId: JobId;
  /** The stage's position in its job (0-based). */
  stageIndex: number;
  /** The job's submission sequence number: the FIFO pool's first sort key. */
  priority: number;
  /** Number of tasks (indices 0..numTasks-1); the length of every per-index array. */
  numTasks: number;
  /** CPUs each attempt takes from its executor's free cores. */
  cpusPerTask: number;
  /** payloadData[index]: the task's payload data (owned here once the stage starts). */
  payloadData: unknown[];
  /** payloadSizeBytes[index]: the serialized size the task's payload claims. */
  payloadSizeBytes: number[];
  /** copiesRunning[index]: attempts of the index not yet finished; 0 or 1, or 2 with a speculative copy (I20). */
  copiesRunning: number[];
  /** successful[index]: some attempt of the index succeeded (counted once, I21). */
  successful: boolean[];
  /** Number of true entries of `successful`. */
  tasksSuccessful: number;
  /** numFailures[index]: counted failures since the index last succeeded; below taskMaxFailures unless aborted. */
  numFailures: number[];
  /**
   * lastAttempt[index]: the TID of the index's latest attempt, or -1; with the attempts' `previous`
   * links, Spark's taskAttempts (every attempt of the index, newest first).
   */
  lastAttempt: number[];
  /**
   * taskInfos and runningTasksSet: every attempt of this task set by TID, never removed, as
   * parallel arrays (attempts.ts). An attempt is in the running set from launch until
   * removeRunningTask; between steps, exactly the attempts whose status is not finished.
   */
  attempts: AttemptTable;
  /** Pending indices in FIFO order; entries that are successful or running when taken are skipped. */
  pending: PendingQueue;
  /**
   * pendingSpeculatableTasks: indices marked for a speculative copy, in the order they were marked,
   * each at most once (exactly the keys of `speculatable`). An entry stays while every offer
   * comes from a host that already ran an attempt of its index; a successful one is dropped
   * when an offer reaches it. Empty while speculation is off.
   */
  speculatableQueue: number[];
  /** speculatableTasks: the indices in `speculatableQueue`. */
  speculatable: Record<number, true>;
  /** successfulTaskDurations: how long each attempt that succeeded ran, recorded only while speculation is on. */
  successfulDurationsMs: MedianHeap;
  /** No new attempt is ever launched once true (all succeeded, aborted or cancelled). */
  isZombie: boolean;
  /** TIDs asked to stop because another attempt of their index succeeded. */
  killedByOtherAttempt: Record<number, true>;
  /** Sum of the result sizes fetched so far (canFetchMoreResults). */
  totalResultSizeBytes: number;
  /** Number of results fetched so far (canFetchMoreResults' calculatedTasks). */
  calculatedTasks: number;
}

export interface SchedulerState {
  /** The next TID; every attempt gets a fresh one (I19). */
  nextTaskId: number;
  /** Every task set in the pool (active or zombie with running attempts), by taskSetId. */
  taskSets: Record<string, TaskSetManagerState>;
  /** The FIFO pool's order: taskSetIds sorted by (priority, stageIndex); exactly the keys of `taskSets`. */
  pool: string[];
  /**
   * taskIdToTaskSetManager: TIDs not yet cleaned up -> their task set (a TID window, tidTable.ts).
   * Spark's taskIdToExecutorId has the same keys; flint reads a TID's executor from its attempt
   * (`executorOfTask`), which never moves (I19), rather than keep a second table.
   */
  taskIdToTaskSetId: TidTable<string>;
  /**
   * executorIdToRunningTaskIds: executors offered at least once -> their not yet cleaned TIDs, in
   * ascending order, each once. A list scanned by TID: an executor holds at most its cores /
   * cpusPerTask of them (I22), and a record keyed by TIDs that come and go costs far more.
   */
  executorIdToRunningTaskIds: Record<string, number[]>;
}

// ---- Jobs (the DAG scheduler's part that flint keeps) ------------------------------------------

export interface StageSpec {
  /** The stage's payload data by task index until it starts; emptied when its TaskSetManager takes it. */
  payloadData: unknown[];
  /** The stage's payload sizes by task index until it starts; emptied with `payloadData`. */
  payloadSizeBytes: number[];
  /** CPUs per task (the spec's, else the config's taskCpus); a positive integer. */
  cpusPerTask: number;
  /** The stage's task count, kept after the payloads are handed over. */
  numTasks: number;
}

export interface JobState {
  /** The user's job id; its key in `active`. */
  jobId: JobId;
  /** Submission order: the FIFO priority of the job's task sets. */
  seq: number;
  /** Every stage of the job, in run order. */
  stages: StageSpec[];
  /** The stage whose task set runs now; stages before it have all succeeded. */
  currentStage: number;
  /** Tasks of every stage together. */
  tasksTotal: number;
  /** Task indices that succeeded, over every stage. */
  tasksFinished: number;
  /** The last stage's results by task index (null until the index succeeds). */
  results: unknown[];
}

export interface JobsState {
  /** Jobs running now, by id. */
  active: Record<string, JobState>;
  /** The next job sequence number. */
  nextJobSeq: number;
  /** Finished job ids (at most RETAINED_FINISHED_JOBS), kept to reject duplicates. */
  finished: Record<string, "succeeded" | "failed">;
  /** The keys of `finished`, oldest first. */
  finishedOrder: string[];
}

export type DriverPhase = "running" | "dead" | "stopped";

export interface DriverRoleState {
  /** This driver's listening address; RegisterApplication carries it as driverAddress. */
  address: Address;
  /** This driver's hostname. */
  host: string;
  /** Every configured master, in order. */
  masterAddresses: Address[];
  /** What RegisterApplication asks the master to run; copied into every RegisterApplication. */
  appDesc: ApplicationDescription;
  /** The protocol constants (§2), fixed at init. */
  protocol: ProtocolConfig;
  /** The PRNG state (random.ts) that shuffles executor offers. */
  rng: number;
  /** "running" until markDead ("dead") or stopApplication ("stopped"); nothing is scheduled after. */
  phase: DriverPhase;
  /** Why the driver ended; null while running. */
  endReason: string | null;
  /** StandaloneAppClient's registration state. */
  appClient: AppClientState;
  /** DriverEndpoint's executors and core counts. */
  backend: BackendState;
  /** HeartbeatReceiver's last-seen times. */
  heartbeats: HeartbeatState;
  /** TaskSchedulerImpl: the pool, its task sets and the TID maps. */
  scheduler: SchedulerState;
  /** The DAG scheduler's jobs. */
  jobs: JobsState;
}

// ---- One step's working context ----------------------------------------------------------------

/** What a TaskSetManager tells the DAG scheduler; settled after the handler, as Spark's event loop does. */
export type DagEvent =
  | { kind: "taskSucceeded"; jobId: JobId; stageIndex: number; index: number; value: unknown; stageDone: boolean }
  | { kind: "taskSetFailed"; jobId: JobId; stageIndex: number; reason: string };

export interface DriverStep {
  s: DriverRoleState;
  now: number;
  /** The effects of this step, in order. */
  fx: Effect[];
  /** Spark's self-sent ReviveOffers: makeOffers() runs once when the handler is done. */
  reviveRequested: boolean;
  /** DAG events not yet handled in this step (add them with `queueDagEvent`). */
  dagEvents: DagEvent[];
}

/**
 * The `dagEvents` of a step that has none: shared, never written (queueDagEvent replaces it), so
 * that a step without DAG events allocates no list. Frozen: a stray push fails loudly.
 */
export const NO_DAG_EVENTS: DagEvent[] = Object.freeze([]) as unknown as DagEvent[];

/** A DAG event for the end of the handler. Most steps queue at most one: a one-slot list. */
export function queueDagEvent(d: DriverStep, event: DagEvent): void {
  if (d.dagEvents.length === 0) d.dagEvents = [event];
  else d.dagEvents.push(event);
}
