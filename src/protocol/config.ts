/**
 * Every constant of docs/protocol.md §2, with Spark's default and its Spark config key. All are
 * overridable (`resolveConfig({ workerTimeoutMs: 5_000 })`). Times are integer milliseconds.
 */
export interface ProtocolConfig {
  // ---- Master (§2.1) ----
  /** spark.worker.timeout (60 s). Also the period of CheckForWorkerTimeOut. */
  workerTimeoutMs: number;
  /** spark.dead.worker.persistence (15): a DEAD worker is culled after (n+1) x timeout. */
  deadWorkerPersistence: number;
  /** spark.deploy.recoveryTimeout [4.0] (default: the worker timeout). */
  recoveryTimeoutMs: number;
  /** spark.deploy.maxExecutorRetries (10); below 0 disables the limit. */
  maxExecutorRetries: number;
  /** spark.deploy.spreadOut (true). */
  spreadOutApps: boolean;
  /** spark.deploy.defaultCores (Int.MaxValue): max cores of an app that sets no spark.cores.max. */
  defaultCores: number;
  /** spark.deploy.retainedApplications (200): finished apps kept for status pages; beyond it the oldest tenth goes. */
  retainedApplications: number;
  /** spark.deploy.retainedDrivers (200): finished drivers kept; beyond it the oldest tenth goes. */
  retainedDrivers: number;
  /**
   * flint (10,000): live workers the master keeps. Anyone may register one, so the table is
   * bounded: a new worker beyond it is refused with RegisterWorkerFailed naming the limit.
   */
  maxWorkers: number;
  /**
   * flint (10,000): active applications. A registration beyond it is answered ApplicationRemoved
   * naming the limit (its driver ends with that reason), and nothing is kept of it.
   */
  maxApplications: number;
  /** flint (10,000): active drivers (waiting or running). A submission beyond it is refused naming the limit. */
  maxDrivers: number;
  /**
   * flint only (120 s): a LAUNCHING executor with no report from its worker for this long is
   * given up: failed towards its driver, killed on the worker in case it starts late, and its
   * cores freed, so that scheduling can replace it. Spark's standalone master waits for ever
   * (docs/protocol.md §7 item 19: a LaunchExecutor dropped by the worker strands the executor and its
   * cores). A worker answers a launch as soon as the process exists, well under a second; the
   * bound is spark.network.timeout's default, as Spark bounds its other exchanges, and as its
   * Kubernetes backend bounds an executor that never starts
   * (spark.kubernetes.allocation.executor.timeout). Checked with CheckForWorkerTimeOut, so it
   * acts within one more worker timeout.
   */
  executorLaunchTimeoutMs: number;

  // ---- Worker (§2.2) ----
  /** spark.worker.timeout x 1000 / 4 (15 s): Worker.HEARTBEAT_MILLIS. */
  workerHeartbeatIntervalMs: number;
  /** Worker.INITIAL_REGISTRATION_RETRIES (6), hard-coded in Spark. */
  initialRegistrationRetries: number;
  /** Worker.TOTAL_REGISTRATION_RETRIES (16), hard-coded in Spark. */
  totalRegistrationRetries: number;
  /** Base of the initial retry interval, round(10 s x fuzz), fuzz in [0.5, 1.5). Hard-coded. */
  initialRegistrationIntervalBaseMs: number;
  /** Base of the prolonged retry interval, round(60 s x fuzz). Hard-coded. */
  prolongedRegistrationIntervalBaseMs: number;
  /** spark.worker.preferConfiguredMasterAddress (false). */
  preferConfiguredMasterAddress: boolean;
  /** spark.worker.executorStateSync.maxAttempts (5) [3.3+]. */
  executorStateSyncMaxAttempts: number;
  /** ExecutorRunner's grace period when killing an executor (10 s), hard-coded. */
  executorKillGraceMs: number;
  /** spark.worker.driverTerminateTimeout (10 s). */
  driverTerminateTimeoutMs: number;
  /** DriverRunner supervise back-off: first delay (1 s), doubling. Hard-coded. */
  driverRelaunchInitialBackoffMs: number;
  /** DriverRunner: a run longer than this (5 s) resets the back-off. Hard-coded. */
  driverRelaunchBackoffResetMs: number;
  /** spark.worker.ui.retainedExecutors (1000): finished executors kept. */
  retainedExecutors: number;
  /** spark.worker.ui.retainedDrivers (1000): finished drivers kept. */
  workerRetainedDrivers: number;

  // ---- Application client and driver (§2.3) ----
  /** StandaloneAppClient.REGISTRATION_TIMEOUT_SECONDS (20 s), hard-coded. */
  appRegistrationTimeoutMs: number;
  /** StandaloneAppClient.REGISTRATION_RETRIES (3), hard-coded. */
  appRegistrationRetries: number;
  /**
   * flint (10 s): after the connection to its master breaks while registered, how long the driver
   * waits for a MasterChanged before it registers again with every master (Spark waits for ever).
   */
  appReregistrationGraceMs: number;
  /**
   * flint (30): re-registration attempts, appRegistrationTimeoutMs apart, before the driver gives up
   * ("All masters are unresponsive! Giving up."): 10 minutes by default.
   */
  appReregistrationAttempts: number;
  /** spark.scheduler.revive.interval (1 s). */
  reviveIntervalMs: number;
  /** spark.task.maxFailures (4). */
  taskMaxFailures: number;
  /** spark.task.cpus (1). */
  taskCpus: number;
  /** spark.executor.memory (1g), in MiB. */
  executorMemoryMb: number;
  /** spark.driver.cores (1), cluster mode. */
  driverCores: number;
  /** spark.driver.memory (1g), in MiB, cluster mode. */
  driverMemoryMb: number;
  /** spark.driver.maxResultSize (1g), in bytes; 0 means unlimited. */
  maxResultSizeBytes: number;
  /**
   * spark.speculation (false): the driver starts a second, speculative, copy of a task that runs
   * much longer than its task set's successful tasks did (the keys below say how much longer).
   */
  speculation: boolean;
  /** spark.speculation.interval (100 ms): how often the driver looks for tasks to speculate. */
  speculationIntervalMs: number;
  /** spark.speculation.multiplier (1.5): a task is slow once it runs this many times the median successful duration. */
  speculationMultiplier: number;
  /** spark.speculation.quantile (0.75): the fraction of a task set's tasks that must have succeeded before any is speculated. */
  speculationQuantile: number;
  /** spark.speculation.minTaskRuntime (100 ms): no task is speculated before it has run this long. */
  speculationMinTaskRuntimeMs: number;
  /**
   * flint (5 s): the submission client asks a master that answered it is not ALIVE (a standby, a
   * leader still recovering) again this often, until askTimeoutMs after the submission. Spark's
   * client asks once and waits for the leader's answer.
   */
  submitRetryIntervalMs: number;

  // ---- Executor and heartbeats (§2.4) ----
  /** spark.executor.heartbeatInterval (10 s). */
  executorHeartbeatIntervalMs: number;
  /** spark.executor.heartbeat.maxFailures (60): then the executor exits with code 56. */
  executorHeartbeatMaxFailures: number;
  /** spark.network.timeout (120 s): the driver's executor heartbeat timeout. */
  networkTimeoutMs: number;
  /** spark.network.timeoutInterval (60 s): period of the driver's ExpireDeadHosts check. */
  networkTimeoutIntervalMs: number;

  // ---- RPC (§2.5) ----
  /** spark.rpc.askTimeout (120 s, falling back to spark.network.timeout). */
  askTimeoutMs: number;
  /** spark.rpc.message.maxSize (128 MiB), in bytes; at most 2047 MiB. */
  maxMessageSizeBytes: number;

  /**
   * Historic Spark defects switched back on by name for the bug museum (docs/protocol.md §7), e.g.
   * "SPARK-36509". Empty by default: flint behaves as the fixed Spark does.
   */
  bugs: string[];
}

export const MIB = 1024 * 1024;

export const DEFAULT_CONFIG: Readonly<ProtocolConfig> = Object.freeze({
  workerTimeoutMs: 60_000,
  deadWorkerPersistence: 15,
  recoveryTimeoutMs: 60_000,
  maxExecutorRetries: 10,
  spreadOutApps: true,
  defaultCores: 2147483647,
  retainedApplications: 200,
  retainedDrivers: 200,
  maxWorkers: 10_000,
  maxApplications: 10_000,
  maxDrivers: 10_000,
  executorLaunchTimeoutMs: 120_000,

  workerHeartbeatIntervalMs: 15_000,
  initialRegistrationRetries: 6,
  totalRegistrationRetries: 16,
  initialRegistrationIntervalBaseMs: 10_000,
  prolongedRegistrationIntervalBaseMs: 60_000,
  preferConfiguredMasterAddress: false,
  executorStateSyncMaxAttempts: 5,
  executorKillGraceMs: 10_000,
  driverTerminateTimeoutMs: 10_000,
  driverRelaunchInitialBackoffMs: 1_000,
  driverRelaunchBackoffResetMs: 5_000,
  retainedExecutors: 1000,
  workerRetainedDrivers: 1000,

  appRegistrationTimeoutMs: 20_000,
  appRegistrationRetries: 3,
  appReregistrationGraceMs: 10_000,
  appReregistrationAttempts: 30,
  reviveIntervalMs: 1_000,
  taskMaxFailures: 4,
  taskCpus: 1,
  executorMemoryMb: 1024,
  driverCores: 1,
  driverMemoryMb: 1024,
  maxResultSizeBytes: 1024 * MIB,
  speculation: false,
  speculationIntervalMs: 100,
  speculationMultiplier: 1.5,
  speculationQuantile: 0.75,
  speculationMinTaskRuntimeMs: 100,
  submitRetryIntervalMs: 5_000,

  executorHeartbeatIntervalMs: 10_000,
  executorHeartbeatMaxFailures: 60,
  networkTimeoutMs: 120_000,
  networkTimeoutIntervalMs: 60_000,

  askTimeoutMs: 120_000,
  maxMessageSizeBytes: 128 * MIB,

  bugs: [] as string[],
});

/**
 * Defaults overridden by `overrides`. Derived defaults follow Spark: when only the worker timeout
 * is given, the heartbeat becomes timeout/4 and the recovery timeout the worker timeout.
 */
export function resolveConfig(overrides: Partial<ProtocolConfig> = {}): ProtocolConfig {
  const workerTimeoutMs = overrides.workerTimeoutMs ?? DEFAULT_CONFIG.workerTimeoutMs;
  const config: ProtocolConfig = {
    ...DEFAULT_CONFIG,
    workerHeartbeatIntervalMs: Math.floor(workerTimeoutMs / 4),
    recoveryTimeoutMs: workerTimeoutMs,
    ...overrides,
    bugs: [...(overrides.bugs ?? DEFAULT_CONFIG.bugs)],
  };
  const problems = validateConfig(config);
  if (problems.length > 0) throw new RangeError(`invalid flint config: ${problems.join("; ")}`);
  return config;
}

/** Names each field whose value cannot work, so that a bad override is reported, not obeyed. */
export function validateConfig(config: ProtocolConfig): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key === "bugs") {
      if (!Array.isArray(value) || value.some((b) => typeof b !== "string")) {
        problems.push("bugs must be a list of names");
        continue;
      }
      for (const name of value as string[]) {
        if (!isBugName(name)) problems.push(`bugs: unknown bug ${JSON.stringify(name)} (known: ${Object.keys(KNOWN_BUGS).join(", ")})`);
      }
      continue;
    }
    if (typeof value === "boolean") continue;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      problems.push(`${key} must be a finite number (got ${JSON.stringify(value)})`);
      continue;
    }
    if (key === "maxExecutorRetries") continue; // negative disables the limit
    if (value < 0) problems.push(`${key} must not be negative (got ${value})`);
  }
  for (const key of [
    "workerTimeoutMs",
    "workerHeartbeatIntervalMs",
    "reviveIntervalMs",
    "executorHeartbeatIntervalMs",
    "networkTimeoutIntervalMs",
    "submitRetryIntervalMs",
    "taskCpus",
    "taskMaxFailures",
    "executorLaunchTimeoutMs",
    "speculationIntervalMs",
  ] as const) {
    if (config[key] <= 0) problems.push(`${key} must be positive (got ${config[key]})`);
  }
  if (config.speculationQuantile > 1) problems.push(`speculationQuantile must be at most 1 (got ${config.speculationQuantile})`);
  if (config.maxMessageSizeBytes > 2047 * MIB) problems.push(`maxMessageSizeBytes must be at most 2047 MiB`);
  if (config.totalRegistrationRetries < config.initialRegistrationRetries)
    problems.push("totalRegistrationRetries must be at least initialRegistrationRetries");
  return problems;
}

/**
 * The bug museum (docs/protocol.md §7): every historic bug a `bugs` entry can switch back on, with what
 * it restores. A name not listed here is refused by validateConfig, so a typo never runs a
 * "buggy" run that is in fact correct.
 */
export const KNOWN_BUGS = {
  "SPARK-4592": "a worker re-registers with every master on every retry (with SPARK-23191: the duplicate kills it)",
  "SPARK-12552": "a recovered driver's cores and memory are not counted on its worker",
  "SPARK-13604": "no WorkerLatestState after a re-registration: executors the master forgot keep running",
  "SPARK-19900": "a relaunched supervised driver keeps its id",
  "SPARK-21169": "completeRecovery leaves acknowledged apps WAITING",
  "SPARK-23191": "a duplicate worker id is refused (RegisterWorkerFailed) and the worker exits",
  "SPARK-27348":
    "a heartbeat timeout calls the scheduler's executorLost directly: the DriverEndpoint keeps offering the lost executor until it disconnects",
  "SPARK-27510": "the worker reports an executor RUNNING before its process started: failed launches loop for ever",
  "SPARK-29287": "the driver offers an executor's cores before the executor is fully built",
  "SPARK-34245": "ExecutorStateChanged is sent once, not asked with retries: a lost one leaks the executor's cores",
  "SPARK-36509": "removeWorker does not call schedule(): lost executors are never replaced",
  "SPARK-41848": "a finished task gives back spark.task.cpus, not the CPUs it took",
  "SPARK-46346": "a worker that registers during recovery stays UNKNOWN and is removed",
  "EXECUTOR-ID-REUSE":
    "a recovered master restarts an app's executor ids above the ones workers report only, so the id of an executor that died while no master led is handed out again (derived, §3.5 item 6)",
  "CULLED-WORKER-IGNORED":
    "a worker the master culled (DEAD for deadWorkerPersistence + 1 timeouts) and that comes back has its heartbeats ignored as a never-registered worker's: it never registers again (derived, §7)",
  "GHOST-APP": "a retried RegisterApplication creates a second app id (derived, §7 item 20)",
  "GHOST-EXECUTOR":
    "an executor that ends while its app is UNKNOWN in a recovery stays in the app with its cores granted: an app at maxCores never gets an executor again (derived, §7 item 27)",
  "OLD-MASTER-ONLY":
    "a disconnected worker retries only the master it last knew, for all its retries: if that master is gone for good and the new leader's MasterChanged was lost, the worker never finds the new leader (§3.5.5)",
  "WAIT-FOR-MASTER":
    "a driver whose connection to its master broke waits for ever for a MasterChanged, never registering again (StandaloneAppClient, derived, §7 item 28)",
} as const satisfies Readonly<Record<string, string>>;

/** A historic bug's name: a misspelt name in a `hasBug` branch does not compile. */
export type BugName = keyof typeof KNOWN_BUGS;

/** Whether `name` is a bug the museum knows (a scenario file or a flag gives plain strings). */
export const isBugName = (name: string): name is BugName => Object.hasOwn(KNOWN_BUGS, name);

export const hasBug = (config: ProtocolConfig, name: BugName): boolean => (config.bugs as readonly string[]).includes(name);
