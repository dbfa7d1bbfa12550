/**
 * The `swarm` fuzz base: everything is drawn from the seed, not only the faults. The cluster (1-3
 * masters, recovery, 1-8 workers of 1-8 cores, memory tight enough that executor memory decides
 * placement), the workload (1-3 client-mode apps, 0-2 cluster-mode drivers supervised or not,
 * executor sizes, core limits, CPUs per task, jobs, stages, task counts, durations, failures), the
 * driver's user acting (requestExecutors, killExecutors, cancelJob, killTask), the user asking the
 * masters about cluster-mode drivers (killDriver, driverStatus), in some seeds small master limits
 * (maxWorkers, maxApplications, maxDrivers) and driver size limits that the workload's results or
 * tasks outgrow (maxResultSizeBytes, maxMessageSizeBytes), and the faults:
 * each seed turns a random subset of every kind the simulator has on, at a drawn rate (swarm
 * testing). The result is a plain scenario: it replays with `flint sim` and shrinks with
 * `flint shrink` like any other plan.
 *
 * Each part is drawn from an RNG stream of its own (`swarm-base/<part>`), so a change to how one
 * part is drawn leaves the others of every seed as they were.
 */
import { stream, type Stream } from "../rng.js";
import type { AppSpec, ClientAppSpec, ClusterDriverSpec, FaultSpec, JobSpec, Scenario, StageSpec, WorkerGroup } from "../scenario.js";
import { livenessApplies } from "../invariants/liveness.js";
import { planScenario, type PlanOptions } from "./planScenario.js";

/** The name `flint fuzz` knows the base by (`flint fuzz swarm`). */
export const SWARM_BASE_NAME = "swarm";

/** Fault kinds (and driver actions) a swarm seed draws from; each seed turns on a random subset. */
export const SWARM_FAULT_KINDS = [
  "crashWorker",
  "restartWorker",
  "pauseWorker",
  "partitionWorker",
  "crashMaster",
  "pauseMaster",
  "partitionMaster",
  "crashLeader",
  "pauseLeader",
  "crashDriver",
  "pauseDriver",
  "partitionDriver",
  "crashExecutor",
  "pauseExecutor",
  "dropMessages",
  "delayMessages",
  "duplicateMessages",
  "storeDown",
  "failTasks",
  "loseTasks",
] as const;
export type SwarmFaultKind = (typeof SWARM_FAULT_KINDS)[number];

export const SWARM_ACTION_KINDS = ["requestExecutors", "killExecutors", "cancelJob", "killTask"] as const;
export type SwarmActionKind = (typeof SWARM_ACTION_KINDS)[number];

/** The chance a seed has the user ask the masters about its cluster-mode drivers (killDriver, driverStatus). */
export const CLIENT_ACTION_CHANCE = 0.35;
/** At most this many client actions per cluster-mode driver. */
export const MAX_CLIENT_ACTIONS_PER_DRIVER = 3;
/** The chance of each master limit (maxWorkers, maxApplications, maxDrivers) being drawn below what the workload asks for. */
export const LIMIT_CHANCE = 0.12;
/** The chance of a small spark.driver.maxResultSize, and of a small spark.rpc.message.maxSize, with stages that outgrow them. */
export const SIZE_LIMIT_CHANCE = 0.12;
/** The chance of duplicated executor reports, and of late ones with a short executor launch timeout. */
export const REPORT_FAULT_CHANCE = 0.12;

/**
 * The chance a user's killExecutors comes twice at once (the second names executors the first is
 * still killing: the driver must neither ask again nor lower its target again), and, apart, the
 * chance its KillExecutors reaches the master late (the executors stay pending removal for
 * seconds, while new work is offered: none may go to them).
 */
export const KILL_FOLLOW_UP_CHANCE = 0.5;
/** A kill this soon after its app started may find executors not yet built (see drawKillFollowUps). */
const EARLY_KILL_MS = 90_000;

/** Every message type: a swarm seed may drop, delay or duplicate any of them. */
export const SWARM_MESSAGE_TYPES = [
  "RegisterWorker",
  "RegisteredWorker",
  "RegisterWorkerFailed",
  "MasterInStandby",
  "Heartbeat",
  "ReconnectWorker",
  "MasterChanged",
  "WorkerSchedulerStateResponse",
  "WorkerLatestState",
  "MasterChangeAcknowledged",
  "RegisterApplication",
  "RegisteredApplication",
  "UnregisterApplication",
  "ApplicationRemoved",
  "ApplicationFinished",
  "LaunchExecutor",
  "KillExecutor",
  "ExecutorAdded",
  "ExecutorUpdated",
  "ExecutorStateChanged",
  "ExecutorStateChangedResponse",
  "WorkerRemoved",
  "RequestExecutors",
  "RequestExecutorsResponse",
  "KillExecutors",
  "KillExecutorsResponse",
  "LaunchDriver",
  "KillDriver",
  "DriverStateChanged",
  "RequestSubmitDriver",
  "SubmitDriverResponse",
  "RegisterExecutor",
  "RegisteredExecutor",
  "RegisterExecutorFailed",
  "LaunchedExecutor",
  "LaunchTask",
  "KillTask",
  "StatusUpdate",
  "StopExecutor",
  "RemoveExecutor",
  "ExecutorHeartbeat",
  "HeartbeatResponse",
] as const;

/** At most this many faults (and driver actions) in one swarm plan. */
export const MAX_SWARM_FAULTS = 40;
/** At most this many driver actions per app. */
export const MAX_ACTIONS_PER_APP = 3;
/** The chance a seed turns one fault kind (or one action kind) on. */
export const KIND_CHANCE = 0.35;
/** Worker memory sizes; executor sizes go up to the largest, so small workers cannot hold big executors. */
const WORKER_MEMORY_MB = [1024, 2048, 4096, 8192] as const;
const EXECUTOR_MEMORY_MB = [512, 1024, 1536, 2048, 3072, 4096] as const;

/** The base's own scenario: a placeholder (no apps) that `drawPlan` replaces by a drawn workload. */
export function swarmBase(): Scenario {
  return {
    name: SWARM_BASE_NAME,
    comment: "Cluster, workload, driver actions and faults all drawn from the seed.",
    seed: 1,
    timeLimitMs: 600_000,
    stopWhenDone: true,
    cluster: {
      masters: 1,
      recoveryMode: "none",
      sessionTimeoutMs: 60_000,
      workers: [{ count: 1, cores: 1, memoryMb: 1024, startAtMs: 0 }],
      latencyMs: [1, 3],
      launchDelayMs: [50, 150],
    },
    config: {},
    apps: [],
    drivers: [],
    faults: [],
    randomFaults: null,
    expect: { allJobsSucceed: false, jobs: {}, events: [], faultsMustFire: false },
  };
}

/** Whether a base is the swarm placeholder (its name, and nothing to run of its own). */
export function isSwarmBase(base: Scenario): boolean {
  return base.name === SWARM_BASE_NAME && base.apps.length === 0 && base.drivers.length === 0;
}

const pick = <T>(r: Stream, list: readonly T[]): T => list[r.int(0, list.length - 1)]!;

function drawStage(r: Stream, coresPerExecutor: number | undefined): StageSpec {
  const stage: StageSpec = {
    tasks: r.int(1, 30),
    durationMs: r.int(1, 20) * 100,
    jitterMs: r.chance(0.5) ? r.int(0, 10) * 100 : 0,
    failProbability: r.chance(0.25) ? Math.round(r.next() * 20) / 100 : 0,
    resultSizeBytes: 100,
  };
  // CPUs per task only above 1 when every executor of the app has that many cores.
  if (coresPerExecutor !== undefined && coresPerExecutor >= 2 && r.chance(0.3)) stage.cpusPerTask = r.int(2, coresPerExecutor);
  return stage;
}

function drawApp(r: Stream, name: string): AppSpec {
  const coresPerExecutor = r.chance(0.6) ? r.int(1, 4) : undefined;
  const app: AppSpec = { name, memoryPerExecutorMb: pick(r, EXECUTOR_MEMORY_MB), jobs: [], stopWhenDone: true };
  if (coresPerExecutor !== undefined) app.coresPerExecutor = coresPerExecutor;
  if (r.chance(0.5)) app.maxCores = (coresPerExecutor ?? 1) * r.int(1, 4);
  const jobs = r.int(1, 3);
  let afterMs = r.int(1, 10) * 1000;
  for (let j = 1; j <= jobs; j++) {
    const stages = Array.from({ length: r.int(1, 3) }, () => drawStage(r, coresPerExecutor));
    const job: JobSpec = { id: `${name}-${j}`, afterMs, stages };
    app.jobs.push(job);
    afterMs += r.int(0, 60) * 1000;
  }
  return app;
}

/**
 * Virtual time the whole workload may take on the one worker every app fits on, run app after app
 * (a worst case: FIFO scheduling, every other worker lost). Liveness gives the jobs
 * LIVENESS_BOUND_MS (300 s) after the faults heal, which also pays for a master's recovery
 * (60 s or more) and executors relaunched; the rest is the work's.
 */
export const WORK_BUDGET_MS = 100_000;

function stageWorkMs(st: StageSpec): number {
  return st.tasks * (st.durationMs + st.jitterMs) * (st.cpusPerTask ?? 1);
}

/** The time an app's work takes with `cores` cores (its own limit counted). */
function appTimeMs(a: AppSpec, cores: number): number {
  const usable = Math.max(1, Math.min(a.maxCores ?? cores, cores));
  let work = 0;
  for (const j of a.jobs) for (const st of j.stages) work += stageWorkMs(st);
  return work / usable;
}

/** Halves the biggest stage (tasks first, then duration) until the apps, run one after another, fit WORK_BUDGET_MS. */
function fitWorkToBudget(apps: AppSpec[], cores: number): void {
  const total = (): number => apps.reduce((sum, a) => sum + appTimeMs(a, cores), 0);
  for (let guard = 0; total() > WORK_BUDGET_MS && guard < 1000; guard++) {
    let biggest: StageSpec | null = null;
    for (const a of apps)
      for (const j of a.jobs) for (const st of j.stages) if (biggest === null || stageWorkMs(st) > stageWorkMs(biggest)) biggest = st;
    if (biggest === null) return;
    if (biggest.tasks > 1) biggest.tasks = Math.ceil(biggest.tasks / 2);
    else if (biggest.durationMs > 100 || biggest.jitterMs > 0) {
      biggest.durationMs = Math.max(100, Math.round(biggest.durationMs / 2));
      biggest.jitterMs = Math.round(biggest.jitterMs / 2);
    } else return;
  }
}

/**
 * Master limits below what the workload asks for, in some seeds: the workers, apps or driver
 * submissions past the limit are refused and told so (the worker and the app's driver exit, the
 * submission fails), which liveness already judges by the processes left (no-capacity, driver-gone).
 */
function drawLimits(r: Stream, config: Scenario["config"], workers: number, apps: number, drivers: number): void {
  if (r.chance(LIMIT_CHANCE)) config.maxWorkers = r.int(1, workers);
  if (r.chance(LIMIT_CHANCE)) config.maxApplications = r.int(1, apps);
  if (drivers > 0 && r.chance(LIMIT_CHANCE)) config.maxDrivers = r.int(1, drivers);
}

/**
 * Size limits some stages outgrow, in some seeds: results that add up past maxResultSizeBytes in a
 * task set abort it, and a task of at least maxMessageSizeBytes aborts its stage (its job fails;
 * the app's other jobs run on).
 */
function drawSizes(r: Stream, config: Scenario["config"], apps: readonly AppSpec[]): void {
  const stages = apps.flatMap((a) => a.jobs.flatMap((j) => j.stages));
  if (r.chance(SIZE_LIMIT_CHANCE)) {
    config.maxResultSizeBytes = r.int(1, 30) * 1000;
    for (const st of stages) if (r.chance(0.4)) st.resultSizeBytes = r.int(1, 40) * 100;
  }
  if (r.chance(SIZE_LIMIT_CHANCE)) {
    config.maxMessageSizeBytes = r.int(2, 16) * 1024;
    for (const st of stages) if (r.chance(0.2)) st.payloadSizeBytes = r.int(1, 32) * 1024;
  }
}

/**
 * Speculation on in some seeds, checked often and quick to trigger, so that two attempts of a task
 * run at once: stage jitter and paused executors make the stragglers. A stream of its own, so the
 * seeds' other draws are what they were before speculation existed.
 */
/**
 * A short deadWorkerPersistence in some seeds, so that a worker paused or cut off for a few worker
 * timeouts is culled from the master's books while it is away, and comes back as a worker the
 * master does not hold (it must be asked to reconnect). A stream of its own.
 */
function drawCulling(r: Stream, config: Scenario["config"]): void {
  if (r.chance(0.2)) config.deadWorkerPersistence = r.int(0, 2);
}

function drawSpeculation(r: Stream, config: Scenario["config"]): void {
  if (!r.chance(0.3)) return;
  config.speculation = true;
  config.speculationIntervalMs = r.int(1, 5) * 100;
  config.speculationMultiplier = pick(r, [1.05, 1.2, 1.5] as const);
  config.speculationQuantile = pick(r, [0.25, 0.5, 0.75] as const);
  config.speculationMinTaskRuntimeMs = pick(r, [0, 100, 500] as const);
}

/** The cluster and workload of a seed, with no faults yet. */
export function drawSwarmWorkload(seed: number): Scenario {
  const rc = stream(seed, "swarm-base/cluster");
  const masters = rc.int(1, 3);
  const recoveryMode = masters > 1 ? "zookeeper" : pick(rc, ["none", "zookeeper", "filesystem"] as const);
  const workerCount = rc.int(1, 8);
  const groups: WorkerGroup[] = [];
  for (let left = workerCount; left > 0; ) {
    const count = groups.length === 0 && rc.chance(0.5) ? left : rc.int(1, left);
    groups.push({ count, cores: rc.int(1, 8), memoryMb: pick(rc, WORKER_MEMORY_MB), startAtMs: rc.chance(0.2) ? rc.int(0, 30) * 1000 : 0 });
    left -= count;
  }
  const config: Scenario["config"] = {};
  if (rc.chance(0.3)) config.spreadOutApps = false;
  if (rc.chance(0.3)) config.taskMaxFailures = rc.int(1, 8);
  if (rc.chance(0.3)) config.workerTimeoutMs = rc.int(2, 8) * 10_000;
  drawSpeculation(stream(seed, "swarm-base/speculation"), config);
  drawCulling(stream(seed, "swarm-base/culling"), config);

  const ra = stream(seed, "swarm-base/apps");
  const apps: ClientAppSpec[] = [];
  for (let i = 1, n = ra.int(1, 3); i <= n; i++) apps.push({ ...drawApp(ra, `app${i}`), submitAtMs: ra.int(0, 30) * 1000 });
  const drivers: ClusterDriverSpec[] = [];
  for (let i = 1, n = ra.int(0, 2); i <= n; i++) {
    const name = `drv${i}`;
    drivers.push({
      name,
      submitAtMs: ra.int(0, 30) * 1000,
      supervise: ra.chance(0.5),
      cores: 1,
      memoryMb: pick(ra, [512, 1024] as const),
      app: drawApp(ra, name),
    });
  }
  // Some worker must hold every app's executor next to every cluster-mode driver, or the drawn
  // cluster could never run an app for a reason no protocol can help (liveness would flag it).
  const driverCores = drivers.reduce((s, d) => s + d.cores, 0);
  const driverMemoryMb = drivers.reduce((s, d) => s + d.memoryMb, 0);
  const needCores = driverCores + Math.max(...[...apps, ...drivers.map((d) => d.app)].map((a) => a.coresPerExecutor ?? 1));
  const needMemoryMb = driverMemoryMb + Math.max(...[...apps, ...drivers.map((d) => d.app)].map((a) => a.memoryPerExecutorMb));
  const big = groups[0]!;
  big.cores = Math.max(big.cores, needCores);
  big.memoryMb = Math.max(big.memoryMb, needMemoryMb);
  big.startAtMs = 0;
  fitWorkToBudget([...apps, ...drivers.map((d) => d.app)], big.cores - driverCores);
  drawLimits(stream(seed, "swarm-base/limits"), config, workerCount, apps.length + drivers.length, drivers.length);
  drawSizes(stream(seed, "swarm-base/sizes"), config, [...apps, ...drivers.map((d) => d.app)]);

  const base = swarmBase();
  return {
    ...base,
    name: SWARM_BASE_NAME,
    comment: `swarm workload: ${masters} masters (${recoveryMode}), ${workerCount} workers, ${apps.length} apps, ${drivers.length} cluster-mode drivers`,
    seed,
    cluster: { ...base.cluster, masters, recoveryMode, workers: groups },
    config,
    apps,
    drivers,
  };
}

/** Which kinds a seed turns on, how often faults come, and when. */
export interface SwarmDraw {
  kinds: SwarmFaultKind[];
  actions: SwarmActionKind[];
  perMinute: number;
  fromMs: number;
  untilMs: number;
}

function allowedKinds(s: Scenario): SwarmFaultKind[] {
  const recovers = s.cluster.recoveryMode !== "none";
  return SWARM_FAULT_KINDS.filter((k) => {
    if (k === "crashMaster" || k === "pauseMaster" || k === "partitionMaster") return s.cluster.masters > 1;
    if (k === "crashLeader" || k === "pauseLeader" || k === "storeDown") return recovers;
    if (k === "crashDriver" || k === "pauseDriver" || k === "partitionDriver") return s.apps.length + s.drivers.length > 0;
    return true;
  });
}

export function drawSwarmKinds(s: Scenario, seed: number): SwarmDraw {
  const r = stream(seed, "swarm-base/kinds");
  const allowed = allowedKinds(s);
  let kinds = allowed.filter(() => r.chance(KIND_CHANCE));
  if (kinds.length === 0) kinds = [pick(r, allowed)];
  const actions = SWARM_ACTION_KINDS.filter(() => r.chance(0.5));
  const perMinute = 0.5 + r.next() * 7.5;
  const fromMs = r.int(0, 20_000);
  const untilMs = fromMs + r.int(20_000, 180_000);
  return { kinds, actions, perMinute, fromMs, untilMs };
}

function appNames(s: Scenario): string[] {
  return [...s.apps.map((a) => a.name), ...s.drivers.map((d) => d.app.name)];
}

function drawFault(kind: SwarmFaultKind, atMs: number, r: Stream, s: Scenario): FaultSpec {
  const workers = s.cluster.workers.reduce((n, g) => n + g.count, 0);
  const worker = `worker-${r.int(1, workers)}`;
  const master = `master-${r.int(1, s.cluster.masters)}`;
  const durationMs = r.int(1, 180) * 1000;
  const apps = appNames(s);
  const app = apps.length > 0 ? pick(r, apps) : "";
  const clusterDriver = s.drivers.find((d) => d.app.name === app);
  // A cluster-mode driver is named by its driver name (its process); a client-mode one by its app.
  const driverTarget = clusterDriver !== undefined ? `driver:${clusterDriver.name}` : `app:${app}`;
  switch (kind) {
    case "crashWorker":
      return r.chance(0.25) ? { atMs, kind: "crash", target: worker } : { atMs, kind: "crash", target: worker, restartAfterMs: durationMs };
    case "restartWorker":
      return { atMs, kind: "restart", target: worker };
    case "pauseWorker":
      return { atMs, kind: "pause", target: worker, durationMs };
    case "partitionWorker":
      return { atMs, kind: "partition", hosts: [worker], durationMs };
    case "crashMaster":
      return { atMs, kind: "crash", target: master, restartAfterMs: durationMs };
    case "pauseMaster":
      return { atMs, kind: "pause", target: master, durationMs };
    case "partitionMaster":
      return { atMs, kind: "partition", hosts: [master], durationMs };
    case "crashLeader":
      return { atMs, kind: "crash", target: "leader", restartAfterMs: durationMs };
    case "pauseLeader":
      return { atMs, kind: "pause", target: "leader", durationMs };
    case "crashDriver": {
      // A client-mode driver may come back (the user runs it again); a cluster-mode one exits with a code its worker judges.
      if (clusterDriver !== undefined) return { atMs, kind: "crash", target: driverTarget, exitCode: pick(r, [1, 137, 143] as const) };
      return r.chance(0.5)
        ? { atMs, kind: "crash", target: driverTarget }
        : { atMs, kind: "crash", target: driverTarget, restartAfterMs: durationMs };
    }
    case "pauseDriver":
      return { atMs, kind: "pause", target: driverTarget, durationMs };
    case "partitionDriver":
      return { atMs, kind: "partition", hosts: [driverTarget], durationMs };
    case "crashExecutor":
      return r.chance(0.5)
        ? { atMs, kind: "crash", target: `executor:${app}` }
        : { atMs, kind: "crash", target: `executor:${app}`, exitCode: pick(r, [1, 52, 143] as const) };
    case "pauseExecutor":
      return { atMs, kind: "pause", target: `executor:${app}`, durationMs: r.int(1, 200) * 1000 };
    case "dropMessages":
      return r.chance(0.3)
        ? { atMs, kind: "messages", messageType: pick(r, SWARM_MESSAGE_TYPES), dropFirst: r.int(1, 3), durationMs: r.int(1, 60) * 1000 }
        : {
            atMs,
            kind: "messages",
            messageType: pick(r, SWARM_MESSAGE_TYPES),
            dropProbability: Math.max(0.01, Math.round(r.next() * 100) / 100),
            durationMs: r.int(1, 30) * 1000,
          };
    case "delayMessages":
      return {
        atMs,
        kind: "messages",
        messageType: pick(r, SWARM_MESSAGE_TYPES),
        delayMs: r.int(1, 40) * 1000,
        durationMs: r.int(1, 30) * 1000,
      };
    case "duplicateMessages":
      return {
        atMs,
        kind: "messages",
        messageType: pick(r, SWARM_MESSAGE_TYPES),
        duplicateProbability: Math.max(0.01, Math.round(r.next() * 100) / 100),
        durationMs: r.int(1, 30) * 1000,
      };
    case "storeDown":
      return { atMs, kind: "storeDown", durationMs: r.int(1, 60) * 1000 };
    case "failTasks":
      return { atMs, kind: "failTasks", count: r.int(1, 5) };
    case "loseTasks":
      return { atMs, kind: "loseTasks", count: r.int(1, 3) };
  }
}

/**
 * The driver actions of one app, from its start to two minutes after. A requestExecutors total is
 * at least one more than every executor the app's actions kill (killExecutors lowers the target
 * it asked for by the executors it kills), and an app that kills asks for a total no later than its
 * first kill, so the app never asks for none: a user who asks for no executors gets none, which is
 * no protocol's stall to judge.
 */
function drawActions(r: Stream, actions: readonly SwarmActionKind[], app: AppSpec, startMs: number): FaultSpec[] {
  const out: FaultSpec[] = [];
  if (actions.length === 0) return out;
  for (let n = r.int(0, MAX_ACTIONS_PER_APP); n > 0; n--) {
    const kind = pick(r, actions);
    const atMs = startMs + r.int(1, 120) * 1000;
    switch (kind) {
      case "requestExecutors":
        out.push({ atMs, kind, app: app.name, total: r.int(0, 3) }); // raised below
        break;
      case "killExecutors":
        out.push({ atMs, kind, app: app.name, count: r.int(1, 3) });
        break;
      case "cancelJob":
        out.push({ atMs, kind, app: app.name, job: pick(r, app.jobs).id });
        break;
      case "killTask":
        out.push({ atMs, kind, app: app.name });
        break;
    }
  }
  const killed = out.reduce((sum, f) => sum + (f.kind === "killExecutors" ? f.count! : 0), 0);
  for (const f of out) if (f.kind === "requestExecutors") f.total = f.total! + killed + 1;
  // Without a request first, a kill lowers a target nobody asked for (0) to 0: killing every
  // executor would then ask for none. The user asks for a total when first killing (no draw: the
  // streams stay as they were).
  const firstKill = out.filter((f) => f.kind === "killExecutors").sort((a, b) => a.atMs - b.atMs)[0];
  if (firstKill !== undefined && !out.some((f) => f.kind === "requestExecutors" && f.atMs <= firstKill.atMs))
    out.unshift({ atMs: firstKill.atMs, kind: "requestExecutors", app: app.name, total: killed + 1 });
  return out;
}

/**
 * What may follow each user kill of a seed's plan (its own stream: the other draws stay as they
 * were): the same kill again at the same moment, a delay of the driver's KillExecutors sent then,
 * and for an early kill, executors that are not built yet when it comes. None changes what a
 * correct driver kills, nor its target: the repeat names the same lowest executors, all pending
 * removal by then.
 */
function drawKillFollowUps(seed: number, actions: readonly FaultSpec[], startMsByApp: ReadonlyMap<string, number>): FaultSpec[] {
  const r = stream(seed, "swarm-base/kill-follow-ups");
  const out: FaultSpec[] = [];
  for (const f of actions) {
    if (f.kind !== "killExecutors") continue;
    if (r.chance(KILL_FOLLOW_UP_CHANCE)) out.push({ ...f });
    // An early kill may also find the app's executors registered but not yet built: their
    // LaunchedExecutor, sent from the app's start until the kill, arrives after it (and before a
    // late kill takes the executors away, so that it finds them pending removal).
    const sinceStartMs = f.atMs - (startMsByApp.get(f.app!) ?? f.atMs);
    const early = r.chance(KILL_FOLLOW_UP_CHANCE) && sinceStartMs > 0 && sinceStartMs <= EARLY_KILL_MS;
    if (early)
      out.push({
        atMs: f.atMs - sinceStartMs,
        kind: "messages",
        messageType: "LaunchedExecutor",
        delayMs: sinceStartMs + r.int(1, 5) * 1000,
        durationMs: sinceStartMs,
      });
    if (r.chance(KILL_FOLLOW_UP_CHANCE) || early)
      // From a little before the kill (a fault and an action at the same moment may come in either order).
      out.push({
        atMs: Math.max(0, f.atMs - 500),
        kind: "messages",
        messageType: "KillExecutors",
        delayMs: r.int(6, 20) * 1000,
        durationMs: 1000,
      });
  }
  return out;
}

/**
 * Kinds that can take the leader away while a driver's KillExecutors is on its way to it. Spark's
 * driver asks its master once and never clears `executorsPendingToRemove` for an executor that
 * stays alive, so a kill lost with its master leaves that executor idle with its cores held for
 * ever: a stall of Spark itself, not one a protocol change brings in. A plan whose liveness is
 * judged therefore never has killExecutors next to these kinds.
 */
export const MASTER_KINDS: readonly SwarmFaultKind[] = [
  "crashMaster",
  "pauseMaster",
  "partitionMaster",
  "crashLeader",
  "pauseLeader",
  "storeDown",
];

/**
 * The user's questions to the masters about a seed's cluster-mode drivers (in some seeds): status
 * requests and kills, from a little before the driver's submission (no id yet: the masters must
 * say they know no such driver) to two minutes after.
 */
function drawClientActions(seed: number, s: Scenario): FaultSpec[] {
  const r = stream(seed, "swarm-base/client");
  const out: FaultSpec[] = [];
  if (s.drivers.length === 0 || !r.chance(CLIENT_ACTION_CHANCE)) return out;
  for (const d of s.drivers) {
    for (let n = r.int(0, MAX_CLIENT_ACTIONS_PER_DRIVER); n > 0; n--) {
      const atMs = Math.max(0, d.submitAtMs + r.int(-5, 120) * 1000);
      out.push({ atMs, kind: r.chance(0.3) ? "killDriver" : "driverStatus", driver: d.name });
    }
  }
  return out;
}

/**
 * Executor reports that come twice or late, in some seeds: ExecutorStateChanged duplicated (the
 * master must change nothing on the second copy), or delayed past a short executorLaunchTimeoutMs
 * (the master gives the launch up, tells the driver, and must ignore the report that comes after);
 * and, in others, a driver's or an executor's one-off request duplicated (ONCE_ANSWERED_MESSAGES).
 */
function drawReportFaults(seed: number, config: Scenario["config"]): FaultSpec[] {
  const r = stream(seed, "swarm-base/reports");
  const out: FaultSpec[] = [];
  if (r.chance(REPORT_FAULT_CHANCE))
    out.push({
      atMs: r.int(0, 60) * 1000,
      kind: "messages",
      messageType: "ExecutorStateChanged",
      duplicateProbability: r.int(2, 10) / 10,
      durationMs: r.int(10, 60) * 1000,
    });
  if (r.chance(REPORT_FAULT_CHANCE)) {
    config.executorLaunchTimeoutMs = r.int(2, 20) * 1000;
    out.push({
      atMs: r.int(0, 60) * 1000,
      kind: "messages",
      messageType: "ExecutorStateChanged",
      delayMs: r.int(5, 40) * 1000,
      durationMs: r.int(10, 60) * 1000,
    });
  }
  if (r.chance(REPORT_FAULT_CHANCE))
    out.push({
      atMs: r.int(0, 60) * 1000,
      kind: "messages",
      messageType: pick(r, ONCE_ANSWERED_MESSAGES),
      duplicateProbability: r.int(2, 10) / 10,
      durationMs: r.int(10, 120) * 1000,
    });
  return out;
}

/** The chance a speculation seed holds back the driver's KillTask messages (see drawSpeculationRaces). */
export const SPECULATION_RACE_CHANCE = 0.5;

/**
 * In some speculation seeds, the driver's KillTask messages are held back a few seconds: an
 * attempt asked to stop because another attempt of its task succeeded then runs on, and ends as
 * it would have without the kill (its result comes in, it fails, or its executor is lost), which
 * the driver must count as nothing: the race speculation makes, which a 1-3 ms network seldom
 * shows. A stream of its own, drawn only in speculation seeds.
 */
function drawSpeculationRaces(seed: number, config: Scenario["config"]): FaultSpec[] {
  if (config.speculation !== true) return [];
  const r = stream(seed, "swarm-base/speculation-races");
  if (!r.chance(SPECULATION_RACE_CHANCE)) return [];
  return [{ atMs: 0, kind: "messages", messageType: "KillTask", delayMs: r.int(1, 4) * 1000, durationMs: r.int(60, 300) * 1000 }];
}

/** Messages whose second copy its receiver must answer as a repeat (refused, ignored, or the same again). */
const ONCE_ANSWERED_MESSAGES = [
  "RegisterExecutor",
  "LaunchedExecutor",
  "UnregisterApplication",
  "RequestExecutors",
  "KillExecutors",
] as const;

/** The swarm plan of a seed: a drawn workload, drawn driver actions and drawn faults. */
export function drawSwarmPlan(seed: number, options: PlanOptions = {}): Scenario {
  const s = drawSwarmWorkload(seed);
  const draw = drawSwarmKinds(s, seed);
  const rf = stream(seed, "swarm-base/faults");
  const faults: FaultSpec[] = [];
  let t = draw.fromMs;
  while (faults.length < MAX_SWARM_FAULTS) {
    t += Math.max(1, Math.round((-Math.log(1 - rf.next()) * 60_000) / draw.perMinute));
    if (t >= draw.untilMs) break;
    faults.push(drawFault(pick(rf, draw.kinds), t, rf, s));
  }
  const ra = stream(seed, "swarm-base/actions");
  const actions: FaultSpec[] = [];
  for (const a of s.apps) actions.push(...drawActions(ra, draw.actions, a, a.submitAtMs));
  for (const d of s.drivers) actions.push(...drawActions(ra, draw.actions, d.app, d.submitAtMs));
  // Only in seeds without cluster-mode drivers: such a driver may not be up yet when its user first
  // asks for a total (the request is lost, and a later kill asks for none), and executor builds
  // slowed down (for every app) make that likelier.
  const startMsByApp = new Map(s.drivers.length > 0 ? [] : s.apps.map((a) => [a.name, a.submitAtMs] as const));
  faults.push(...actions, ...drawKillFollowUps(seed, actions, startMsByApp));
  const clientActions = drawClientActions(seed, s);
  faults.push(...clientActions);
  faults.push(...drawReportFaults(seed, s.config));
  faults.push(...drawSpeculationRaces(seed, s.config));
  faults.sort((a, b) => a.atMs - b.atMs);
  const judged = livenessApplies({ ...s, faults });
  const kept = judged && draw.kinds.some((k) => MASTER_KINDS.includes(k)) ? faults.filter((f) => f.kind !== "killExecutors") : faults;
  const clientKinds = [...new Set(clientActions.map((f) => f.kind))].sort();
  const why = `swarm ${[...draw.kinds, ...draw.actions, ...clientKinds].join("+")} at ${draw.perMinute.toFixed(1)}/min`;
  return planScenario(s, seed, kept, why, options);
}
