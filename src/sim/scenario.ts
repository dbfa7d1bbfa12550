/**
 * Scenarios: a cluster shape, config overrides, applications and cluster-mode drivers with their
 * jobs, a fault timeline, a time limit and the expected outcome, as data (scenarios/*.json).
 * `parseScenario` validates a parsed JSON value and names the bad field's path in its error.
 */
import { DEFAULT_CONFIG, validateConfig, type ProtocolConfig } from "../protocol/index.js";

export type RecoveryMode = "zookeeper" | "filesystem" | "none";

export interface WorkerGroup {
  count: number;
  cores: number;
  memoryMb: number;
  /** When these workers start, in virtual ms. */
  startAtMs: number;
}

export interface StageSpec {
  tasks: number;
  durationMs: number;
  /** A task runs durationMs + U[0, jitterMs]. */
  jitterMs: number;
  /** Each attempt throws with this probability. */
  failProbability: number;
  resultSizeBytes: number;
  /** CPUs each task of the stage takes (a task resource profile); default: the config's taskCpus. */
  cpusPerTask?: number;
}

export interface JobSpec {
  /** Unique across the scenario: outcomes are reported by it. */
  id: string;
  /** Submitted this long after its driver process starts. */
  afterMs: number;
  stages: StageSpec[];
}

export interface AppSpec {
  name: string;
  maxCores?: number;
  coresPerExecutor?: number;
  memoryPerExecutorMb: number;
  jobs: JobSpec[];
  /** Stop the application (and end the driver) once every job has ended. */
  stopWhenDone: boolean;
  /** Every executor of this app exits on its own after `afterMs` with `code` (a crash loop). */
  executorExit?: { afterMs: number; code: number };
  /** Every executor launch of this app fails with this error (the worker reports FAILED). */
  executorLaunchError?: string;
}

export interface ClientAppSpec extends AppSpec {
  submitAtMs: number;
}

export interface ClusterDriverSpec {
  name: string;
  submitAtMs: number;
  supervise: boolean;
  cores: number;
  memoryMb: number;
  app: AppSpec;
}

export type FaultKind = "crash" | "restart" | "pause" | "partition" | "messages" | "storeDown" | "failTasks";

export interface FaultSpec {
  atMs: number;
  kind: FaultKind;
  /** crash/restart/pause: "leader", "master-1", "worker-2", "app:<name>", "driver:<name>", "executor:<app>". */
  target?: string;
  /** crash: restart the node this long after. pause/partition/messages/storeDown: how long it lasts. */
  restartAfterMs?: number;
  durationMs?: number;
  /** partition: the hosts cut off; `others` (default: every other host) on the other side. */
  hosts?: string[];
  others?: string[];
  oneWay?: boolean;
  /** messages: which messages (all when omitted) and what happens to them. */
  messageType?: string;
  from?: string;
  to?: string;
  dropFirst?: number;
  dropProbability?: number;
  delayMs?: number;
  duplicateProbability?: number;
  /** failTasks: the next `count` task attempts to finish throw instead. */
  count?: number;
  /** crash: the exit code a crashed launched process reports (default 137). */
  exitCode?: number;
}

export interface RandomFaults {
  fromMs: number;
  untilMs: number;
  /** Mean number of faults per virtual minute. */
  perMinute: number;
  kinds: Array<"crashWorker" | "pauseWorker" | "partitionWorker" | "crashExecutor">;
  /** How long a pause or partition lasts, and when a crashed worker restarts. */
  durationMs: number;
}

export interface EventExpectation {
  /** A node name, a prefix pattern ("worker-*"), or "app:<name>" / "driver:<name>". */
  node: string;
  /** An input type, or "message:<Type>". */
  input?: string;
  /** An effect type, or "send:<Type>", "notify:<kind>", "log:<event>". */
  effect?: string;
  /** For an "exit" effect: the exit code. */
  code?: number;
  /** Steps that match (a step sending two matching messages counts once). */
  minCount: number;
  afterMs?: number;
  byMs?: number;
  /** Exactly at this virtual ms, or at the time PROTOCOL.md §2.2 predicts a worker gives up. */
  atMs?: number | "workerGiveUp";
  /** The event must NOT happen. */
  absent: boolean;
}

export interface Expectation {
  /** Every job of the scenario succeeds (default true unless `jobs` is given). */
  allJobsSucceed: boolean;
  /** Per job: "succeeded", "failed" or "unfinished"; `failureContains` checks the reason. */
  jobs: Record<string, { state: "succeeded" | "failed" | "unfinished"; failureContains?: string }>;
  events: EventExpectation[];
  /** Every scheduled fault must take effect (default true). */
  faultsMustFire: boolean;
}

export interface Scenario {
  name: string;
  comment: string;
  seed: number;
  timeLimitMs: number;
  /** End the run once every job has ended and every expected event happened. */
  stopWhenDone: boolean;
  cluster: {
    masters: number;
    recoveryMode: RecoveryMode;
    /** The election service's session timeout (ZooKeeper: 60 s). */
    sessionTimeoutMs: number;
    workers: WorkerGroup[];
    latencyMs: [number, number];
    launchDelayMs: [number, number];
  };
  config: Partial<ProtocolConfig>;
  apps: ClientAppSpec[];
  drivers: ClusterDriverSpec[];
  faults: FaultSpec[];
  randomFaults: RandomFaults | null;
  /**
   * The network's delivery model. Absent or `lossy: false`: TCP (a message on a live connection is
   * only ever delayed; a partition that outlasts the connection timeout breaks the connection, and
   * both ends are told). `lossy: true`: messages crossing a partition and messages a fault drops
   * are lost silently, and liveness is not judged when such a loss can hit a message sent once.
   */
  network?: { lossy: boolean };
  expect: Expectation;
}

export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "ScenarioError";
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ScenarioError(path, `must be an object (got ${describe(v)})`);
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) throw new ScenarioError(`${path}.${key}`, `unknown field (expected one of: ${allowed.join(", ")})`);
  }
  return v as Obj;
}

function describe(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : typeof v === "object" ? "an object" : JSON.stringify(v);
}

function num(o: Obj, key: string, path: string, opts: { min?: number; max?: number; int?: boolean; def?: number } = {}): number {
  const v = o[key];
  if (v === undefined) {
    if (opts.def !== undefined) return opts.def;
    throw new ScenarioError(`${path}.${key}`, "is required");
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ScenarioError(`${path}.${key}`, `must be a number (got ${describe(v)})`);
  if (opts.int !== false && !Number.isInteger(v)) throw new ScenarioError(`${path}.${key}`, `must be an integer (got ${v})`);
  if (opts.min !== undefined && v < opts.min) throw new ScenarioError(`${path}.${key}`, `must be at least ${opts.min} (got ${v})`);
  if (opts.max !== undefined && v > opts.max) throw new ScenarioError(`${path}.${key}`, `must be at most ${opts.max} (got ${v})`);
  return v;
}

function optNum(o: Obj, key: string, path: string, opts: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
  return o[key] === undefined ? undefined : num(o, key, path, opts);
}

function str(o: Obj, key: string, path: string, def?: string): string {
  const v = o[key];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== "string" || v.length === 0) throw new ScenarioError(`${path}.${key}`, v === undefined ? "is required" : `must be a non-empty string (got ${describe(v)})`);
  return v;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, path);
}

function bool(o: Obj, key: string, path: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== "boolean") throw new ScenarioError(`${path}.${key}`, `must be true or false (got ${describe(v)})`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], def?: T): T {
  const v = o[key] ?? def;
  if (typeof v !== "string" || !values.includes(v as T)) throw new ScenarioError(`${path}.${key}`, `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")} (got ${describe(o[key])})`);
  return v as T;
}

function arr(o: Obj, key: string, path: string, def?: unknown[]): unknown[] {
  const v = o[key];
  if (v === undefined && def !== undefined) return def;
  if (!Array.isArray(v)) throw new ScenarioError(`${path}.${key}`, v === undefined ? "is required" : `must be an array (got ${describe(v)})`);
  return v;
}

function range(o: Obj, key: string, path: string, def: [number, number]): [number, number] {
  const v = o[key];
  if (v === undefined) return def;
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < 0) || (v[0] as number) > (v[1] as number))
    throw new ScenarioError(`${path}.${key}`, `must be [min, max], two integers with 0 <= min <= max (got ${JSON.stringify(v)})`);
  return [v[0] as number, v[1] as number];
}

function strings(o: Obj, key: string, path: string): string[] | undefined {
  if (o[key] === undefined) return undefined;
  const list = arr(o, key, path);
  list.forEach((x, i) => {
    if (typeof x !== "string" || x.length === 0) throw new ScenarioError(`${path}.${key}[${i}]`, `must be a non-empty string (got ${describe(x)})`);
  });
  return list as string[];
}

function parseStage(v: unknown, path: string): StageSpec {
  const o = obj(v, path, ["tasks", "durationMs", "jitterMs", "failProbability", "resultSizeBytes", "cpusPerTask"]);
  const stage: StageSpec = {
    tasks: num(o, "tasks", path, { min: 1, max: 10_000_000 }),
    durationMs: num(o, "durationMs", path, { min: 1 }),
    jitterMs: num(o, "jitterMs", path, { min: 0, def: 0 }),
    failProbability: num(o, "failProbability", path, { min: 0, max: 1, int: false, def: 0 }),
    resultSizeBytes: num(o, "resultSizeBytes", path, { min: 0, def: 100 }),
  };
  const cpusPerTask = optNum(o, "cpusPerTask", path, { min: 1 });
  if (cpusPerTask !== undefined) stage.cpusPerTask = cpusPerTask;
  return stage;
}

function parseJob(v: unknown, path: string): JobSpec {
  const o = obj(v, path, ["id", "afterMs", "stages"]);
  const stages = arr(o, "stages", path).map((s, i) => parseStage(s, `${path}.stages[${i}]`));
  if (stages.length === 0) throw new ScenarioError(`${path}.stages`, "must hold at least one stage");
  return { id: str(o, "id", path), afterMs: num(o, "afterMs", path, { min: 0, def: 0 }), stages };
}

const APP_FIELDS = ["name", "maxCores", "coresPerExecutor", "memoryPerExecutorMb", "jobs", "stopWhenDone", "executorExit", "executorLaunchError"] as const;

function parseApp(o: Obj, path: string): AppSpec {
  const app: AppSpec = {
    name: str(o, "name", path),
    memoryPerExecutorMb: num(o, "memoryPerExecutorMb", path, { min: 1, def: 1024 }),
    jobs: arr(o, "jobs", path, []).map((j, i) => parseJob(j, `${path}.jobs[${i}]`)),
    stopWhenDone: bool(o, "stopWhenDone", path, true),
  };
  const maxCores = optNum(o, "maxCores", path, { min: 1 });
  if (maxCores !== undefined) app.maxCores = maxCores;
  const coresPerExecutor = optNum(o, "coresPerExecutor", path, { min: 1 });
  if (coresPerExecutor !== undefined) app.coresPerExecutor = coresPerExecutor;
  if (o["executorExit"] !== undefined) {
    const p = `${path}.executorExit`;
    const e = obj(o["executorExit"], p, ["afterMs", "code"]);
    app.executorExit = { afterMs: num(e, "afterMs", p, { min: 1 }), code: num(e, "code", p, { min: 0, max: 255 }) };
  }
  const launchError = optStr(o, "executorLaunchError", path);
  if (launchError !== undefined) app.executorLaunchError = launchError;
  return app;
}

const FAULT_FIELDS = ["atMs", "kind", "target", "restartAfterMs", "durationMs", "hosts", "others", "oneWay", "messageType", "from", "to", "dropFirst", "dropProbability", "delayMs", "duplicateProbability", "count", "exitCode", "comment"] as const;
const FAULT_KINDS: readonly FaultKind[] = ["crash", "restart", "pause", "partition", "messages", "storeDown", "failTasks"];

function parseFault(v: unknown, path: string): FaultSpec {
  const o = obj(v, path, FAULT_FIELDS);
  const f: FaultSpec = { atMs: num(o, "atMs", path, { min: 0 }), kind: oneOf(o, "kind", path, FAULT_KINDS) };
  const target = optStr(o, "target", path);
  if (target !== undefined) f.target = target;
  if ((f.kind === "crash" || f.kind === "restart" || f.kind === "pause") && target === undefined) throw new ScenarioError(`${path}.target`, `is required for a ${f.kind} fault`);
  for (const key of ["restartAfterMs", "durationMs", "dropFirst", "delayMs", "count", "exitCode"] as const) {
    const n = optNum(o, key, path, { min: key === "count" ? 1 : 0 });
    if (n !== undefined) f[key] = n;
  }
  for (const key of ["dropProbability", "duplicateProbability"] as const) {
    const n = optNum(o, key, path, { min: 0, max: 1, int: false });
    if (n !== undefined) f[key] = n;
  }
  const hosts = strings(o, "hosts", path);
  if (hosts !== undefined) f.hosts = hosts;
  const others = strings(o, "others", path);
  if (others !== undefined) f.others = others;
  if (o["oneWay"] !== undefined) f.oneWay = bool(o, "oneWay", path, false);
  for (const key of ["messageType", "from", "to"] as const) {
    const s = optStr(o, key, path);
    if (s !== undefined) f[key] = s;
  }
  if (f.kind === "partition" && (f.hosts === undefined || f.hosts.length === 0)) throw new ScenarioError(`${path}.hosts`, "is required for a partition fault");
  if ((f.kind === "pause" || f.kind === "storeDown") && f.durationMs === undefined) throw new ScenarioError(`${path}.durationMs`, `is required for a ${f.kind} fault`);
  if (f.kind === "failTasks" && f.count === undefined) throw new ScenarioError(`${path}.count`, "is required for a failTasks fault");
  return f;
}

function parseEvent(v: unknown, path: string): EventExpectation {
  const o = obj(v, path, ["node", "input", "effect", "code", "minCount", "afterMs", "byMs", "atMs", "absent", "comment"]);
  const e: EventExpectation = { node: str(o, "node", path), minCount: num(o, "minCount", path, { min: 1, def: 1 }), absent: bool(o, "absent", path, false) };
  const input = optStr(o, "input", path);
  const effect = optStr(o, "effect", path);
  if ((input === undefined) === (effect === undefined)) throw new ScenarioError(path, "give exactly one of `input` or `effect`");
  if (input !== undefined) e.input = input;
  if (effect !== undefined) e.effect = effect;
  const code = optNum(o, "code", path, { min: 0 });
  if (code !== undefined) e.code = code;
  const afterMs = optNum(o, "afterMs", path, { min: 0 });
  if (afterMs !== undefined) e.afterMs = afterMs;
  const byMs = optNum(o, "byMs", path, { min: 0 });
  if (byMs !== undefined) e.byMs = byMs;
  if (o["atMs"] !== undefined) e.atMs = o["atMs"] === "workerGiveUp" ? "workerGiveUp" : num(o, "atMs", path, { min: 0 });
  return e;
}

function parseExpect(v: unknown, path: string): Expectation {
  const o = obj(v ?? {}, path, ["allJobsSucceed", "jobs", "events", "faultsMustFire", "comment"]);
  const jobs: Expectation["jobs"] = {};
  if (o["jobs"] !== undefined) {
    const jp = `${path}.jobs`;
    const j = obj(o["jobs"], jp, Object.keys(o["jobs"] as Obj));
    for (const [id, spec] of Object.entries(j)) {
      if (typeof spec === "string") {
        jobs[id] = { state: oneOf({ state: spec }, "state", `${jp}.${id}`, ["succeeded", "failed", "unfinished"] as const) };
      } else {
        const so = obj(spec, `${jp}.${id}`, ["state", "failureContains"]);
        const entry: Expectation["jobs"][string] = { state: oneOf(so, "state", `${jp}.${id}`, ["succeeded", "failed", "unfinished"] as const) };
        const fc = optStr(so, "failureContains", `${jp}.${id}`);
        if (fc !== undefined) entry.failureContains = fc;
        jobs[id] = entry;
      }
    }
  }
  return {
    allJobsSucceed: bool(o, "allJobsSucceed", path, o["jobs"] === undefined),
    jobs,
    events: arr(o, "events", path, []).map((e, i) => parseEvent(e, `${path}.events[${i}]`)),
    faultsMustFire: bool(o, "faultsMustFire", path, true),
  };
}

function parseConfig(v: unknown, path: string): Partial<ProtocolConfig> {
  const keys = Object.keys(DEFAULT_CONFIG);
  const o = obj(v ?? {}, path, keys);
  const problems = validateConfig({ ...DEFAULT_CONFIG, ...o } as ProtocolConfig);
  if (problems.length > 0) throw new ScenarioError(path, problems.join("; "));
  return o as Partial<ProtocolConfig>;
}

/** Validates a parsed scenario file; throws ScenarioError naming the bad field's path. */
export function parseScenario(v: unknown): Scenario {
  const root = obj(v, "scenario", ["name", "comment", "seed", "timeLimitMs", "stopWhenDone", "cluster", "config", "apps", "drivers", "faults", "randomFaults", "network", "expect"]);
  const c = obj(root["cluster"], "cluster", ["masters", "recoveryMode", "sessionTimeoutMs", "workers", "latencyMs", "launchDelayMs"]);
  const workers = arr(c, "workers", "cluster").map((w, i) => {
    const p = `cluster.workers[${i}]`;
    const o = obj(w, p, ["count", "cores", "memoryMb", "startAtMs"]);
    return { count: num(o, "count", p, { min: 1, max: 100_000, def: 1 }), cores: num(o, "cores", p, { min: 1 }), memoryMb: num(o, "memoryMb", p, { min: 1 }), startAtMs: num(o, "startAtMs", p, { min: 0, def: 0 }) };
  });
  const apps = arr(root, "apps", "scenario", []).map((a, i) => {
    const p = `apps[${i}]`;
    const o = obj(a, p, [...APP_FIELDS, "submitAtMs"]);
    return { ...parseApp(o, p), submitAtMs: num(o, "submitAtMs", p, { min: 0, def: 0 }) };
  });
  const drivers = arr(root, "drivers", "scenario", []).map((d, i) => {
    const p = `drivers[${i}]`;
    const o = obj(d, p, ["name", "submitAtMs", "supervise", "cores", "memoryMb", "app"]);
    return {
      name: str(o, "name", p),
      submitAtMs: num(o, "submitAtMs", p, { min: 0, def: 0 }),
      supervise: bool(o, "supervise", p, false),
      cores: num(o, "cores", p, { min: 1, def: 1 }),
      memoryMb: num(o, "memoryMb", p, { min: 1, def: 1024 }),
      app: parseApp(obj(o["app"], `${p}.app`, APP_FIELDS), `${p}.app`),
    };
  });
  let randomFaults: RandomFaults | null = null;
  if (root["randomFaults"] !== undefined) {
    const p = "randomFaults";
    const o = obj(root["randomFaults"], p, ["fromMs", "untilMs", "perMinute", "kinds", "durationMs"]);
    const kinds = arr(o, "kinds", p).map((k, i) => oneOf({ k }, "k", `${p}.kinds[${i}]`, ["crashWorker", "pauseWorker", "partitionWorker", "crashExecutor"] as const));
    randomFaults = { fromMs: num(o, "fromMs", p, { min: 0, def: 0 }), untilMs: num(o, "untilMs", p, { min: 0 }), perMinute: num(o, "perMinute", p, { min: 0, int: false }), kinds, durationMs: num(o, "durationMs", p, { min: 1, def: 30_000 }) };
  }
  const scenario: Scenario = {
    name: str(root, "name", "scenario"),
    comment: str(root, "comment", "scenario"),
    seed: num(root, "seed", "scenario", { min: 0, def: 1 }),
    timeLimitMs: num(root, "timeLimitMs", "scenario", { min: 1 }),
    stopWhenDone: bool(root, "stopWhenDone", "scenario", true),
    cluster: {
      masters: num(c, "masters", "cluster", { min: 1, max: 9, def: 1 }),
      recoveryMode: oneOf(c, "recoveryMode", "cluster", ["zookeeper", "filesystem", "none"] as const, "none"),
      sessionTimeoutMs: num(c, "sessionTimeoutMs", "cluster", { min: 1, def: 60_000 }),
      workers,
      latencyMs: range(c, "latencyMs", "cluster", [1, 3]),
      launchDelayMs: range(c, "launchDelayMs", "cluster", [50, 150]),
    },
    config: parseConfig(root["config"], "config"),
    apps,
    drivers,
    faults: arr(root, "faults", "scenario", []).map((f, i) => parseFault(f, `faults[${i}]`)),
    randomFaults,
    expect: parseExpect(root["expect"], "expect"),
  };
  if (root["network"] !== undefined) scenario.network = { lossy: bool(obj(root["network"], "network", ["lossy"]), "lossy", "network", false) };
  const jobIds = new Set<string>();
  const names = new Set<string>();
  const allApps: Array<[string, AppSpec]> = [...apps.map((a, i): [string, AppSpec] => [`apps[${i}]`, a]), ...drivers.map((d, i): [string, AppSpec] => [`drivers[${i}].app`, d.app])];
  for (const [p, app] of allApps) {
    if (names.has(app.name)) throw new ScenarioError(`${p}.name`, `duplicate app name ${JSON.stringify(app.name)}`);
    names.add(app.name);
    app.jobs.forEach((j, i) => {
      if (jobIds.has(j.id)) throw new ScenarioError(`${p}.jobs[${i}].id`, `duplicate job id ${JSON.stringify(j.id)}`);
      jobIds.add(j.id);
    });
  }
  for (const id of Object.keys(scenario.expect.jobs)) {
    if (!jobIds.has(id)) throw new ScenarioError(`expect.jobs.${id}`, "names no job of the scenario");
  }
  if (scenario.cluster.recoveryMode === "none" && scenario.cluster.masters > 1) throw new ScenarioError("cluster.recoveryMode", "several masters need recovery mode \"zookeeper\" (or \"filesystem\")");
  return scenario;
}
