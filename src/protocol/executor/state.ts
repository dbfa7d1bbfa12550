/**
 * The executor's state: Spark's CoarseGrainedExecutorBackend, its WorkerWatcher and the
 * Executor's heartbeater (docs/protocol.md §1.6, §2.4).
 *
 * Timer keys:
 *  - "registration": the ask timeout of RegisterExecutor (Spark's onStart ask, 120 s).
 *  - "heartbeat": the heartbeater's fixed-rate tick, which is also the ask timeout of the
 *    previous ExecutorHeartbeat (Spark's heartbeat ask times out after one interval).
 */
import type { ProtocolConfig } from "../config.js";
import type { Address, AppId, ExecutorId, ExecutorNumber, TaskId } from "../ids.js";
import type { RngState } from "../random.js";

export const TIMER_REGISTRATION = "registration";
export const TIMER_HEARTBEAT = "heartbeat";

export interface ExecutorBackendState {
  /** The application this executor works for. */
  appId: AppId;
  /** The executor's number within its application. */
  execId: ExecutorNumber;
  /** The driver-side executor id (the decimal string of execId). */
  executorId: ExecutorId;
  /** This executor's own listening address. */
  address: Address;
  /** The host name announced in RegisterExecutor. */
  hostname: string;
  /** Cores announced in RegisterExecutor. */
  cores: number;
  /** The driver (DriverEndpoint and HeartbeatReceiver): the only peer whose messages count. */
  driverAddress: Address;
  /** The worker that launched this process (WorkerWatcher's target). */
  workerAddress: Address;
  /** The protocol constants this executor runs with. */
  protocol: ProtocolConfig;
  /** The executor's PRNG; used for the first heartbeat's jitter. */
  random: RngState;
  /** True while RegisterExecutor awaits the driver's answer and the "registration" timer runs. */
  registering: boolean;
  /** True once RegisteredExecutor built the Executor (Spark: `executor != null`); tasks need it. */
  constructed: boolean;
  /** True once the executor decided to stop (Spark's `stopping`); an exit effect always goes with
   * it, so every later input is a host contract breach and is ignored. Makes exits at-most-once. */
  stopping: boolean;
  /**
   * The TIDs of the tasks started and not yet finished, in launch order, each once; a few at most
   * (bounded by the driver's core accounting), so a list scanned by TID: a record keyed by TIDs
   * that come and go costs far more per task in a JavaScript engine, and numbers in a list cost
   * the garbage collector nothing, where an object per task would outlive the young generation.
   */
  runningTaskIds: TaskId[];
  /** runningTaskCpus[i]: the CPUs task runningTaskIds[i] holds, given back to the driver in its final StatusUpdate (3.4+). Same length. */
  runningTaskCpus: number[];
  /** True while the last ExecutorHeartbeat has no HeartbeatResponse yet. */
  heartbeatAwaitingResponse: boolean;
  /** Consecutive heartbeats without a response; the executor exits (56) when it reaches
   * protocol.executorHeartbeatMaxFailures. */
  heartbeatFailures: number;
}
