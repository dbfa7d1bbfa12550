/**
 * The WORKER role (docs/protocol.md §1.3, §2.2): registration with the masters, heartbeats, and the
 * executor and driver runners it hosts.
 *
 * Out of scope: decommissioning [3.1+] (off by default in Spark: DecommissionWorker,
 * WorkerSigPWRReceived, WorkerDecommissioning, the `decommissioned` flag), the work-directory
 * cleanup timer (off by default, not protocol-relevant), the external shuffle service and custom
 * resources.
 */
import type { Role } from "../io.js";
import type { WorkerConfig } from "../roles.js";
import { initWorker } from "./init.js";
import type { WorkerState } from "./state.js";
import { stepWorker } from "./step.js";

export type { WorkerState, ExecutorRunner, DriverRunner, FinishedExecutor, FinishedDriver, PendingExecutorStateSync } from "./state.js";
export {
  TIMER_REREGISTER,
  TIMER_HEARTBEAT,
  executorStateSyncTimerKey,
  driverRelaunchTimerKey,
} from "./state.js";
export { fuzzedIntervalMs } from "./init.js";
export { GIVE_UP_REASON } from "./registration.js";

export const worker: Role<WorkerState, WorkerConfig> = {
  name: "worker",
  init: (config) => initWorker(config),
  step: stepWorker,
};
