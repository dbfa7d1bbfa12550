/**
 * The EXECUTOR role (docs/protocol.md §1.6, §2.4): Spark's CoarseGrainedExecutorBackend, with the
 * WorkerWatcher and the Executor's heartbeater folded in.
 *
 * Out of scope: decommissioning [3.1+] (DecommissionExecutor, ExecutorDecommissioning), the
 * block manager (a HeartbeatResponse asking to re-register it is only logged), the task reaper,
 * RetrieveSparkAppConfig (flint's executor gets its config from the worker's launch).
 */
import type { Role } from "../io.js";
import { seedRng } from "../random.js";
import type { ExecutorConfig } from "../roles.js";
import type { Effect } from "../io.js";
import { startRegistration } from "./registration.js";
import type { ExecutorBackendState } from "./state.js";
import { stepExecutor } from "./step.js";

export type { ExecutorBackendState } from "./state.js";
export { TIMER_HEARTBEAT, TIMER_REGISTRATION } from "./state.js";
export { HEARTBEAT_FAILURE_EXIT_CODE } from "./heartbeat.js";

function initExecutor(config: ExecutorConfig): { state: ExecutorBackendState; effects: Effect[] } {
  const state: ExecutorBackendState = {
    appId: config.appId,
    execId: config.execId,
    executorId: config.executorId,
    address: config.address,
    hostname: config.hostname,
    cores: config.cores,
    driverAddress: config.driverAddress,
    workerAddress: config.workerAddress,
    protocol: { ...config.protocol, bugs: config.protocol.bugs.slice() },
    random: { rng: seedRng(config.seed) },
    registering: false,
    constructed: false,
    stopping: false,
    runningTaskIds: [],
    runningTaskCpus: [],
    heartbeatAwaitingResponse: false,
    heartbeatFailures: 0,
  };
  const effects: Effect[] = [];
  startRegistration(state, effects);
  return { state, effects };
}

export const executor: Role<ExecutorBackendState, ExecutorConfig> = {
  name: "executor",
  init: (config) => initExecutor(config),
  step: stepExecutor,
};
