/** The master's state (docs/protocol.md §1.2), as plain data keyed by id. */
import type { ProtocolConfig } from "../config.js";
import type { Address, AppId, DriverId, ExecutorNumber, WorkerId } from "../ids.js";
import type { ApplicationDescription, DriverDescription } from "../messages.js";
import type { ApplicationState, DriverState, ExecutorState, RecoveryState, WorkerState } from "../states.js";
import type { Effect } from "../io.js";

/** An executor as the master tracks it (Spark's ExecutorDesc); lives in its app's `executors`. */
export interface ExecutorDesc {
  id: ExecutorNumber;
  appId: AppId;
  workerId: WorkerId;
  cores: number;
  memoryMb: number;
  /** LAUNCHING -> RUNNING -> a finished state; only the worker's reports move it forward. */
  state: ExecutorState;
  /** ctx.now when the master sent LaunchExecutor or adopted a worker's report: a LAUNCHING one times out from here. */
  launchedAtMs: number;
}

/** The resources an executor holds on a worker, as counted in the worker's `coresUsed`. */
export interface WorkerExecutorSlot {
  appId: AppId;
  execId: ExecutorNumber;
  cores: number;
  memoryMb: number;
}

export interface WorkerInfo {
  id: WorkerId;
  host: string;
  port: number;
  /** The worker endpoint's listening address: where the master sends, and the key of addressToWorker. */
  address: Address;
  cores: number;
  memoryMb: number;
  /** ALIVE, UNKNOWN (recovering), DEAD (kept until culled by the reaper). */
  state: WorkerState;
  /** Sum of the cores of `executors` and `drivers`; 0 <= coresUsed <= cores unless recovery over-commits (I1). */
  coresUsed: number;
  /** Sum of the memory of `executors` and `drivers`, in MiB. */
  memoryUsed: number;
  /** Executors holding resources here, keyed by full id `appId/execId`. */
  executors: Record<string, WorkerExecutorSlot>;
  /** Drivers running here (value: true). */
  drivers: Record<string, true>;
  /** ctx.now of the last heartbeat, registration or recovery read. */
  lastHeartbeatMs: number;
  /**
   * Set when a duplicate registration revived an UNKNOWN worker during recovery (SPARK-46346): its
   * next WorkerLatestState adopts the executors of known apps instead of killing them, and until
   * that report (or a WorkerSchedulerStateResponse) arrives, recovery waits for it.
   */
  adoptOnLatestState: boolean;
}

export interface ApplicationInfo {
  id: AppId;
  desc: ApplicationDescription;
  /** The driver's (AppClient's) address: where ExecutorAdded/Updated go, the key of addressToApp. */
  driverAddress: Address;
  startTimeMs: number;
  state: ApplicationState;
  /** Live executors by executor number; removed ones leave (counted in removedExecutorCount). */
  executors: Record<string, ExecutorDesc>;
  removedExecutorCount: number;
  /**
   * Every worker that ever held an executor of this app, in first-use order, no duplicates (so at
   * most the number of workers): where the app ran, kept for its completed record.
   */
  workerIdsUsed: WorkerId[];
  /** Sum of the cores of `executors`; never above the app's max cores (I2). */
  coresGranted: number;
  /** The next executor number; above every id this app ever used, recovered ones included (I4). */
  nextExecutorId: number;
  /**
   * Ids below this are reserved in the store (persisted with the app before any of them is
   * launched): nextExecutorId <= executorIdsReserved once a launch needed it. A recovered master
   * starts nextExecutorId here, so an executor that died unseen while no master led (so nobody
   * reports its id) never has its id handed out again (I4).
   */
  executorIdsReserved: number;
  /** Dynamic allocation's target; only limits the creation of executors. */
  executorLimit: number;
  /** Consecutive abnormal executor exits since the last RUNNING report. */
  retryCount: number;
  endTimeMs: number;
}

export interface DriverInfo {
  id: DriverId;
  desc: DriverDescription;
  startTimeMs: number;
  state: DriverState;
  exception?: string;
  /** The worker running it; undefined while waiting or after recovery until a worker reports it. */
  workerId?: WorkerId;
}

/** What the master keeps of a finished app or driver (bounded by the retained-* settings). */
export interface CompletedApp {
  id: AppId;
  name: string;
  state: ApplicationState;
  /** ctx.now when the app registered (or was recovered): its submit time, as far as the master knows. */
  startTimeMs: number;
  endTimeMs: number;
  /** The workers its executors ran on (ApplicationInfo.workerIdsUsed). */
  workerIds: WorkerId[];
}
export interface CompletedDriver {
  id: DriverId;
  state: DriverState;
  exception?: string;
  workerId?: WorkerId;
  /** ctx.now when the driver was submitted (or relaunched under this id). */
  startTimeMs: number;
  endTimeMs: number;
}

export interface MasterState {
  /** This master's address, also the masterUrl it stamps on LaunchExecutor and KillExecutor. */
  address: Address;
  config: ProtocolConfig;
  /** PRNG state for the driver-placement shuffle. */
  rng: number;
  /** STANDBY until elected; only ALIVE schedules (I7). */
  recoveryState: RecoveryState;
  /** Every worker, DEAD ones included until culled; insertion order is the iteration order. */
  workers: Record<string, WorkerInfo>;
  /** Non-DEAD workers by address (I8: one worker per address). */
  addressToWorker: Record<string, WorkerId>;
  /** Active applications by id. */
  apps: Record<string, ApplicationInfo>;
  /** Active applications by driver address (I9: one app per driver address). */
  addressToApp: Record<string, AppId>;
  /** Every active app that may still want cores, FIFO in registration order. */
  waitingApps: AppId[];
  completedApps: CompletedApp[];
  /** Active drivers, waiting or running. */
  drivers: Record<string, DriverInfo>;
  /** Drivers not yet placed, FIFO. */
  waitingDrivers: DriverId[];
  completedDrivers: CompletedDriver[];
  /** Not persisted, as in Spark: a new leader starts again at 0 (ids stay unique: see ids.ts). */
  nextAppNumber: number;
  nextDriverNumber: number;
  /**
   * Ids of the workers beginRecovery marked UNKNOWN (the only place a worker becomes UNKNOWN) and
   * not yet seen to answer: a superset of the UNKNOWN workers and of those a registration revived
   * that have not reported their executors yet (adoptOnLatestState), pruned from the end by
   * completeRecoveryIfAnswered, so that each recovery response costs O(1) amortized, not a scan.
   */
  recoveryPendingWorkers: WorkerId[];
  /** The same for apps: a superset of the ids of the UNKNOWN apps. */
  recoveryPendingApps: AppId[];
  /**
   * Ids of the workers removeWorker marked DEAD (the only place a worker becomes DEAD), pruned by
   * each registration: a superset of the DEAD workers, so that registerWorker finds the DEAD
   * entries of a host and port without scanning every worker.
   */
  deadWorkerIds: WorkerId[];
}

/** The per-step context the master's procedures share: the state, the clock and the effects. */
export interface MasterStep {
  s: MasterState;
  now: number;
  fx: Effect[];
}
