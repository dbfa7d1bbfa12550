/** The real runtime's public API: the driver (connect, run, close) and running applications. */
export {
  connect,
  applicationDescription,
  JobFailedError,
  type Cluster,
  type ConnectOptions,
  type Progress,
  type RunOptions,
} from "./driver/api.js";
export { runApp, formatResult, type AppContext, type AppMain, type RunAppOptions } from "./driver/app.js";
export { startLocalCluster, type LocalCluster, type LocalClusterOptions } from "./cluster/local.js";
export { startMaster, type MasterOptions, type MasterProcess } from "./cluster/master.js";
export { startWorker, type WorkerOptions, type WorkerProcess } from "./cluster/worker.js";
export {
  openRecovery,
  parseRecoverySpec,
  InMemoryRecoveryStore,
  type DurableRecoveryStore,
  type LeaderElection,
  type RecoverySpec,
} from "./recovery/index.js";
