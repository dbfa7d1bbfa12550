/**
 * The worker's state (docs/protocol.md §1.3) and its stable timer keys.
 *
 * Timer keys:
 *  - "reregister": the fixed-rate registration retry (Spark's registrationRetryTimer).
 *  - "heartbeat": the fixed-rate SendHeartbeat tick (one timer, see registration.ts).
 *  - "executorStateSync:<appId>/<execId>": the ask timeout of a pending ExecutorStateChanged.
 *  - "driverRelaunch:<driverId>": the back-off before a supervised driver is started again.
 */
import type { ProtocolConfig } from "../config.js";
import type { Address, AppId, DriverId, ExecutorNumber, WorkerId } from "../ids.js";
import type { DriverDescription, ExecutorStateChanged } from "../messages.js";
import type { RngState } from "../random.js";
import type { DriverState, ExecutorState } from "../states.js";

export const TIMER_REREGISTER = "reregister";
export const TIMER_HEARTBEAT = "heartbeat";
export const EXECUTOR_STATE_SYNC_PREFIX = "executorStateSync:";
export const DRIVER_RELAUNCH_PREFIX = "driverRelaunch:";

export const executorStateSyncTimerKey = (fullId: string): string => `${EXECUTOR_STATE_SYNC_PREFIX}${fullId}`;
export const driverRelaunchTimerKey = (id: DriverId): string => `${DRIVER_RELAUNCH_PREFIX}${id}`;

/** One executor process this worker launched (Spark's ExecutorRunner). */
export interface ExecutorRunner {
  /** The application the executor belongs to. */
  appId: AppId;
  /** The executor's number within its application. */
  execId: ExecutorNumber;
  /** Cores counted in the worker's coresUsed while the runner is in `executors`. */
  cores: number;
  /** Memory counted in the worker's memoryUsed while the runner is in `executors`. */
  memoryMb: number;
  /** LAUNCHING until the process starts, then RUNNING (RUNNING from the start with the museum's
   * SPARK-27510 on); KILLED as soon as a kill is ordered. Never a finished state other than KILLED
   * while the runner is in `executors`. */
  state: ExecutorState;
  /** True once kill() was called: the process exit that follows is reported as KILLED. */
  killed: boolean;
}

/** A finished executor kept for the record (Spark's finishedExecutors). */
export interface FinishedExecutor {
  /** The application the executor belonged to. */
  appId: AppId;
  /** The executor's number within its application. */
  execId: ExecutorNumber;
  /** Cores it held (already given back to coresUsed). */
  cores: number;
  /** Memory it held, in MiB (already given back to memoryUsed). */
  memoryMb: number;
  /** Always a finished ExecutorState. */
  state: ExecutorState;
  /** The message of the final report, when it had one. */
  message?: string;
  /** The process's exit code, when it exited. */
  exitStatus?: number;
}

/** Where a driver runner is in its run / supervise loop. */
export type DriverRunnerPhase = "launching" | "running" | "backoff";

/** One cluster-mode driver process this worker runs (Spark's DriverRunner). */
export interface DriverRunner {
  /** The driver's id, also its key in `drivers`. */
  driverId: DriverId;
  /** A private copy of the description, used again for every supervised relaunch. */
  desc: DriverDescription;
  /** launching: a `launch` is out; running: the host reported the start; backoff: waiting for
   * the "driverRelaunch:<id>" timer before launching again. */
  phase: DriverRunnerPhase;
  /** True once kill() was called: the runner ends KILLED and is never relaunched. */
  killed: boolean;
  /** ctx.now when the current process started, or null before the host reported it. */
  launchedAtMs: number | null;
  /** The next supervise back-off (Spark's waitSeconds, in ms): initial, doubling each relaunch. */
  nextBackoffMs: number;
}

/** A finished driver kept for the record (Spark's finishedDrivers). */
export interface FinishedDriver {
  /** The driver's id. */
  driverId: DriverId;
  /** Cores it held (already given back to coresUsed). */
  cores: number;
  /** Memory it held, in MiB (already given back to memoryUsed). */
  memoryMb: number;
  /** Always a final DriverState (ERROR, FINISHED, KILLED, FAILED). */
  state: DriverState;
  /** Why the launch failed, for ERROR. */
  exception?: string;
}

/** An ExecutorStateChanged ask the master has not answered yet [3.2+]. */
export interface PendingExecutorStateSync {
  /** The latest report for this executor; a newer report replaces an older pending one. */
  message: ExecutorStateChanged;
  /** Consecutive failed attempts for this executor (Spark's executorStateSyncFailureAttempts);
   * always below protocol.executorStateSyncMaxAttempts while the worker lives. */
  failures: number;
}

export interface WorkerState {
  /** This worker's id, fixed from start to exit. */
  workerId: WorkerId;
  /** The host name announced in RegisterWorker. */
  host: string;
  /** The port announced in RegisterWorker. */
  port: number;
  /** This worker's own listening address (Spark's `self` endpoint ref). */
  address: Address;
  /** Total cores offered to the master; fixed at startup. */
  cores: number;
  /** Total memory offered to the master, in MiB; fixed at startup. */
  memoryMb: number;
  /** Every configured master address, in configuration order; never empty. */
  masterAddresses: Address[];
  /** The protocol constants this worker runs with. */
  protocol: ProtocolConfig;
  /** The worker's PRNG; drawn from only once, for the registration fuzz. */
  random: RngState;
  /** round(10 s x fuzz): the first registration retry period, in ms; > 0. */
  initialRegistrationIntervalMs: number;
  /** round(60 s x fuzz): the retry period after initialRegistrationRetries attempts, in ms; > 0. */
  prolongedRegistrationIntervalMs: number;
  /** The master this worker talks to (Spark's `master` ref), or null before the first changeMaster. */
  masterAddress: Address | null;
  /** The master URL LaunchExecutor/KillExecutor must carry; null (Spark's "") until changeMaster. */
  activeMasterUrl: Address | null;
  /**
   * The address the RegisteredWorker or MasterChanged that made masterAddress active came from: the
   * same master, by the name this worker reaches it (a configured alias such as localhost, where
   * masterAddress is what the master announces); orders from it count as the active master's.
   */
  masterSender: Address | null;
  /** The address to re-register with (Spark's masterAddressToConnect); set by changeMaster. */
  masterAddressToConnect: Address | null;
  /** True once a RegisteredWorker arrived since the last registerWithMaster(). */
  registered: boolean;
  /** True while the link to the master is believed up: heartbeats are sent only then. */
  connected: boolean;
  /** ReregisterWithMaster ticks since the last registerWithMaster(); at most totalRegistrationRetries + 1. */
  connectionAttemptCount: number;
  /** True while the "reregister" timer is pending (Spark's registrationRetryTimer is Some). */
  registrationRetryArmed: boolean;
  /** The period the "reregister" timer is re-armed with: the initial or the prolonged interval. */
  registrationIntervalMs: number;
  /** True once the "heartbeat" timer runs; it is never cancelled afterwards. */
  heartbeatStarted: boolean;
  /** Live executor runners by full id `appId/execId`; each one's resources are in coresUsed/memoryUsed. */
  executors: Record<string, ExecutorRunner>;
  /** Finished executors, oldest first; at most protocol.retainedExecutors entries. */
  finishedExecutors: FinishedExecutor[];
  /** Live driver runners by id; each one's resources are in coresUsed/memoryUsed. */
  drivers: Record<string, DriverRunner>;
  /** Finished drivers, oldest first; at most protocol.workerRetainedDrivers entries. */
  finishedDrivers: FinishedDriver[];
  /** Apps the master said are finished whose executors are still in `executors` (Spark's
   * finishedApps); an app leaves it when its cleanup runs, so it never outgrows `executors`. */
  finishedApps: Record<string, true>;
  /** Sum of the cores of `executors` and `drivers`; may exceed `cores` (never checked, as Spark). */
  coresUsed: number;
  /** Sum of the memory of `executors` and `drivers`, in MiB. */
  memoryUsed: number;
  /** Unanswered ExecutorStateChanged asks by full id; at most one per executor, so bounded by
   * the executors the master launched here (always empty with the museum's SPARK-34245 on). */
  pendingExecutorStateSyncs: Record<string, PendingExecutorStateSync>;
}
