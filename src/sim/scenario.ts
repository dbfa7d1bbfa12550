/**
 * Scenarios: a cluster shape, config overrides, applications and cluster-mode drivers with their
 * jobs, a fault timeline, a time limit and the expected outcome, as data (scenarios/*.json).
 *
 * The file format is defined once, as the descriptor table SCENARIO_FORMAT (format.ts): the
 * validator and the JSON Schema (scenarios/scenario.schema.json, `npm run schema`) are both
 * generated from it. `parseScenario` runs that validator, then the checks that need the whole file
 * (node patterns against the cluster's nodes, job and app names, expectation references), and names
 * the bad field's path in its error.
 *
 * Adding a fault (timeline) kind: add its name to FaultKind, its fields to FaultSpec (the in-memory
 * shape stays flat), a variant to FAULT_VARIANTS (its fields, which are required, and `hints` for
 * fields people confuse), any cross-field check to `checkFault`, and its effect to
 * ClusterRun.inject (cluster.ts); then `npm run schema`.
 */
import {
  DEFAULT_CONFIG,
  EFFECT_TYPES,
  INPUT_TYPES,
  KNOWN_BUGS,
  LOG_EVENTS,
  MESSAGE_TYPES,
  NOTIFICATION_KINDS,
  validateConfig,
  type ProtocolConfig,
  type StoredRecords,
} from "../protocol/index.js";
import { TIMER_KEY_PREFIXES, TIMER_KEYS } from "../protocol/timer-keys.js";
import { FORGED_MESSAGE_TYPES } from "./forge.js";
import {
  closest,
  FormatError,
  toJsonSchema,
  validate,
  type Choices,
  type Desc,
  type Field,
  type ObjectDesc,
  type UnionDesc,
} from "./format.js";

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
  /** The size of each task's serialized payload (default 1024): one of at least maxMessageSizeBytes aborts the stage. */
  payloadSizeBytes?: number;
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

export type FaultKind =
  | "crash"
  | "restart"
  | "pause"
  | "partition"
  | "messages"
  | "storeDown"
  | "failTasks"
  | "loseTasks"
  | "inject"
  | "forge"
  | DriverActionKind
  | ClientActionKind;

/** Timeline entries that are a driver's user acting (the app's driver gets them as commands), not faults. */
export type DriverActionKind = "requestExecutors" | "killExecutors" | "cancelJob" | "killTask";
export const DRIVER_ACTION_KINDS: readonly DriverActionKind[] = ["requestExecutors", "killExecutors", "cancelJob", "killTask"];

/** Timeline entries that are a user acting through the submission client on a cluster-mode driver (clientActions.ts). */
export type ClientActionKind = "killDriver" | "driverStatus";
export const CLIENT_ACTION_KINDS: readonly ClientActionKind[] = ["killDriver", "driverStatus"];

/**
 * One entry of the fault timeline, flat in memory; the file format allows each kind only its own
 * fields (FAULT_VARIANTS).
 */
export interface FaultSpec {
  atMs: number;
  kind: FaultKind;
  /** crash/restart/pause: "leader", "master-1", "worker-2", "app:<name>", "driver:<name>", "executor:<app>".
   * forge: the node that sends the forged message (`messageType`, one of FORGED_MESSAGE_TYPES; `to`: the worker it goes to, default the first that fits). */
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
  /**
   * failTasks: the next `count` task attempts to finish throw instead. loseTasks: the next `count`
   * end lost by their host (a LOST update). killExecutors: how many of the app's executors (lowest ids first).
   */
  count?: number;
  /** Driver actions: the app (its name in the scenario) whose driver acts. */
  app?: string;
  /** requestExecutors: the total number of executors the driver asks the master for. */
  total?: number;
  /** cancelJob: the job's id in the scenario. */
  job?: string;
  /** killDriver, driverStatus: the cluster-mode driver (its name in the scenario) the user asks about. */
  driver?: string;
  /** crash: the exit code a crashed launched process reports (default 137). */
  exitCode?: number;
  /** inject: the message `from` sends to `to` (validated against the protocol's message types). */
  message?: Record<string, unknown>;
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
  /** An input type, or "message:<Type>", "timer:<key>". */
  input?: string;
  /** An effect type, or "send:<Type>", "notify:<kind>", "log:<event>", "setTimer:<key>". */
  effect?: string;
  /** For an "exit" effect: the exit code. */
  code?: number;
  /** The message's (notification's, log's) fields must have these values (JSON equality). */
  fields?: Record<string, unknown>;
  /** Steps that match (a step sending two matching messages counts once): at least this many. */
  minCount: number;
  /** Exactly this many matching steps. */
  count?: number;
  afterMs?: number;
  byMs?: number;
  /** Exactly at this virtual ms, or at the time docs/protocol.md §2.2 predicts a worker gives up. */
  atMs?: number | "workerGiveUp";
  /** The event must NOT happen. */
  absent: boolean;
  /** A name other expectations' `before` can use. */
  label?: string;
  /** This event's first occurrence comes before the first of expectation number `before` (labels are resolved when the file loads). */
  before?: number;
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
  /** What the recovery store holds before any master starts (a master recovers it at its first election). */
  store?: StoredRecords;
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

// ---- The format, once: every field, its type, bounds, default and meaning ----------------------

const int = (min?: number, max?: number): Desc => ({
  t: "int",
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
const probability: Desc = { t: "number", min: 0, max: 1 };
const text: Desc = { t: "string" };
const strings: Desc = { t: "array", of: text };
const req = (d: Desc, doc?: string): Field => ({ d, required: true, ...(doc !== undefined ? { doc } : {}) });
const opt = (d: Desc, doc?: string): Field => ({ d, ...(doc !== undefined ? { doc } : {}) });
const def = (d: Desc, value: unknown, doc?: string): Field => ({ d, default: value, ...(doc !== undefined ? { doc } : {}) });
const obj = (fields: Record<string, Field>, doc?: string): ObjectDesc => ({ t: "object", fields, ...(doc !== undefined ? { doc } : {}) });
const COMMENT = opt(text, "Free text for the reader; ignored.");

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** `<prefix>` followed by the roles' timer keys: the fixed ones, and the per-entity ones by their prefix. */
const timerSelectors = (prefix: string): { values: string[]; patterns: string[] } => ({
  values: TIMER_KEYS.map((k) => `${prefix}${k}`),
  patterns: TIMER_KEY_PREFIXES.map((p) => `^${escapeRegExp(prefix + p)}.+$`),
});

/** Input selectors: every input type, "init" (a node's start), "message:<Type>", "timer:<key>". */
export const INPUT_SELECTORS: Choices = {
  what: "input selector",
  values: ["init", ...INPUT_TYPES, ...MESSAGE_TYPES.map((t) => `message:${t}`), ...timerSelectors("timer:").values],
  patterns: timerSelectors("timer:").patterns,
};

/** Effect selectors: every effect type, "send:<Type>", "notify:<kind>", "log:<event>", "setTimer:<key>". */
export const EFFECT_SELECTORS: Choices = {
  what: "effect selector",
  values: [
    ...EFFECT_TYPES,
    ...MESSAGE_TYPES.map((t) => `send:${t}`),
    ...NOTIFICATION_KINDS.map((k) => `notify:${k}`),
    ...LOG_EVENTS.map((e) => `log:${e}`),
    ...timerSelectors("setTimer:").values,
  ],
  patterns: timerSelectors("setTimer:").patterns,
};

const TARGET_DOC =
  'A node name ("master-1", "worker-2", "client", "drv-<app>"), "leader", "app:<name>" (its driver), "driver:<name>" (a cluster-mode driver) or "executor:<app>" / "executor:*" (a live executor, busy ones first).';

const STAGE = obj({
  tasks: req(int(1, 10_000_000)),
  durationMs: req(int(1)),
  jitterMs: def(int(0), 0, "A task runs durationMs + U[0, jitterMs]."),
  failProbability: def(probability, 0, "Each attempt throws with this probability."),
  resultSizeBytes: def(int(0), 100),
  cpusPerTask: opt(int(1), "CPUs each task takes (a task resource profile); default: the config's taskCpus."),
  payloadSizeBytes: opt(
    int(0),
    "The size of each task's serialized payload (default 1024); a task of at least the config's maxMessageSizeBytes aborts its stage.",
  ),
});

const JOB = obj({
  id: req(text, "Unique across the scenario: outcomes are reported by it."),
  afterMs: def(int(0), 0, "Submitted this long after its driver process starts."),
  stages: req({ t: "array", of: STAGE, minItems: 1 }),
});

const APP_FIELDS: Record<string, Field> = {
  name: req(text),
  maxCores: opt(int(1)),
  coresPerExecutor: opt(int(1)),
  memoryPerExecutorMb: def(int(1), 1024),
  jobs: def({ t: "array", of: JOB }, []),
  stopWhenDone: def({ t: "bool" }, true, "Stop the application (and end the driver) once every job has ended."),
  executorExit: opt(
    obj({ afterMs: req(int(1)), code: req(int(0, 255)) }),
    "Every executor of this app exits on its own after afterMs with code (a crash loop).",
  ),
  executorLaunchError: opt(text, "Every executor launch of this app fails with this error (the worker reports FAILED)."),
};

const CLUSTER = obj({
  masters: def(int(1, 9), 1),
  recoveryMode: def({ t: "string", choices: { what: "recovery mode", values: ["zookeeper", "filesystem", "none"] } }, "none"),
  sessionTimeoutMs: def(int(1), 60_000, "The election service's session timeout (ZooKeeper: 60 s)."),
  workers: req(
    {
      t: "array",
      of: obj({
        count: def(int(1, 100_000), 1),
        cores: req(int(1)),
        memoryMb: req(int(1)),
        startAtMs: def(int(0), 0, "When these workers start, in virtual ms."),
      }),
    },
    "Worker groups; workers are named worker-1, worker-2, ... in order.",
  ),
  latencyMs: def({ t: "range" }, [1, 3], "Network latency per message, [min, max] ms."),
  launchDelayMs: def({ t: "range" }, [50, 150], "How long a process launch takes, [min, max] ms."),
});

/** Config overrides: every ProtocolConfig key, typed after its default (validateConfig checks the values). */
const CONFIG = obj(
  Object.fromEntries(
    Object.entries(DEFAULT_CONFIG).map(([key, value]): [string, Field] => {
      if (key === "bugs")
        return [
          key,
          opt(
            { t: "array", of: { t: "string", choices: { what: "bug", values: Object.keys(KNOWN_BUGS) } } },
            "Historic bugs switched back on (docs/protocol.md §7).",
          ),
        ];
      return [key, opt(typeof value === "boolean" ? { t: "bool" } : { t: "number" })];
    }),
  ),
  "Overrides of the protocol configuration (src/protocol/config.ts).",
);

const during = (doc: string): Field => opt(int(0), doc);

/** The fault timeline's kinds: each allows only its own fields (plus atMs, kind and comment). */
export const FAULT_VARIANTS: UnionDesc["variants"] = {
  crash: {
    doc: "Kill a node (a launched process exits with exitCode).",
    fields: {
      target: req(text, TARGET_DOC),
      restartAfterMs: opt(int(0), "Restart the node this long after (masters, workers, client drivers)."),
      exitCode: opt(int(0), "The exit code a crashed launched process reports (default 137)."),
    },
    hints: { durationMs: "restartAfterMs" },
  },
  restart: { doc: "Restart a dead node.", fields: { target: req(text, "A node name.") } },
  pause: {
    doc: "Stop a node (SIGSTOP) and resume it after durationMs.",
    fields: { target: req(text, TARGET_DOC), durationMs: req(int(0)) },
    hints: { restartAfterMs: "durationMs" },
  },
  partition: {
    doc: "Cut the network between two sides.",
    fields: {
      hosts: req({ t: "array", of: text, minItems: 1 }, "The hosts cut off (node names or targets)."),
      others: opt(strings, "The other side (default: every other host)."),
      oneWay: opt({ t: "bool" }, "Only messages from hosts to others are lost."),
      durationMs: during("Heal after this long (default: never)."),
    },
  },
  messages: {
    doc: "Drop, delay or duplicate messages.",
    fields: {
      messageType: opt({ t: "string", choices: { what: "message type", values: MESSAGE_TYPES } }, "Which messages (default: all)."),
      from: opt(text, "Only messages from this node."),
      to: opt(text, "Only messages to this node."),
      dropFirst: opt(int(0)),
      dropProbability: opt(probability),
      delayMs: opt(int(0)),
      duplicateProbability: opt(probability),
      durationMs: during("Stop after this long (default: never)."),
    },
  },
  storeDown: { doc: "The recovery store (ZooKeeper) is unavailable for durationMs.", fields: { durationMs: req(int(0)) } },
  failTasks: { doc: "The next count task attempts to finish throw instead.", fields: { count: req(int(1)) } },
  loseTasks: {
    doc: "The next count task attempts to finish are lost by their host: the executor reports them LOST.",
    fields: { count: req(int(1)) },
  },
  inject: {
    doc: "A node sends a message it would not send by itself (reconciliation tests as data).",
    fields: {
      from: req(text, TARGET_DOC),
      to: req(text, TARGET_DOC),
      message: req({ t: "anyObject" }, 'A protocol message: { "type": "<MessageType>", ...its fields }.'),
    },
  },
  forge: {
    doc: "A node with the cluster's secret (a worker, a driver) sends a worker an order only its active master may give, built from the run's real ids; the roles must refuse it.",
    fields: {
      target: req(text, "The node that sends the forged message."),
      messageType: req({ t: "string", choices: { what: "forged message type", values: FORGED_MESSAGE_TYPES } }, "The order it forges."),
      to: opt(text, "The worker it goes to (default: the first registered worker that fits)."),
    },
  },
  requestExecutors: {
    doc: "An application's driver asks for a total number of executors.",
    fields: { app: req(text), total: req(int(0)) },
  },
  killExecutors: { doc: "An application's driver kills some of its executors.", fields: { app: req(text), count: req(int(1)) } },
  cancelJob: { doc: "An application's driver cancels a job.", fields: { app: req(text), job: req(text) } },
  killTask: { doc: "An application's driver kills one of its running tasks.", fields: { app: req(text) } },
  killDriver: {
    doc: "The user asks the masters, through the submission client, to kill a cluster-mode driver (by the id its submission got; an id no master gave when it has none yet).",
    fields: { driver: req(text, "The cluster-mode driver's name in the scenario.") },
  },
  driverStatus: {
    doc: "The user asks the masters, through the submission client, for a cluster-mode driver's status (by the id its submission got; an id no master gave when it has none yet).",
    fields: { driver: req(text, "The cluster-mode driver's name in the scenario.") },
  },
};

const FAULT: UnionDesc = {
  t: "union",
  tag: "kind",
  what: "fault",
  common: { atMs: req(int(0)), comment: COMMENT },
  variants: FAULT_VARIANTS,
};

const EVENT = obj({
  node: req(text, 'A node name, a prefix pattern ("worker-*"), "app:<name>" or "driver:<name>".'),
  input: opt({ t: "string", choices: INPUT_SELECTORS }, 'An input type, "message:<Type>" or "timer:<key>" (give input or effect).'),
  effect: opt(
    { t: "string", choices: EFFECT_SELECTORS },
    'An effect type, "send:<Type>", "notify:<kind>", "log:<event>" or "setTimer:<key>".',
  ),
  code: opt(int(0), 'For the "exit" effect: the exit code.'),
  fields: opt({ t: "map", of: { t: "json" } }, "The message's (notification's, log's) fields must have these values."),
  // A run keeps the first 1000 matches of an expectation: counts up to 999 can tell "more".
  minCount: def(int(1, 1000), 1, "At least this many matching steps."),
  count: opt(int(0, 999), "Exactly this many matching steps."),
  afterMs: opt(int(0)),
  byMs: opt(int(0)),
  atMs: opt(
    { t: "either", what: 'a number or "workerGiveUp"', of: [int(0), { t: "const", value: "workerGiveUp" }] },
    "The first match happens exactly then.",
  ),
  absent: def({ t: "bool" }, false, "The event must not happen."),
  label: opt(text, "A name for `before` to use."),
  before: opt(
    { t: "either", what: "an expectation's index or label", of: [int(0), text] },
    "This event first happens before the first occurrence of that expectation (index in events, or label).",
  ),
  comment: COMMENT,
});

const JOB_STATE: Desc = { t: "string", choices: { what: "job state", values: ["succeeded", "failed", "unfinished"] } };

const EXPECT = obj({
  allJobsSucceed: opt({ t: "bool" }, "Every job succeeds (default: true unless jobs is given)."),
  jobs: opt(
    {
      t: "map",
      of: {
        t: "either",
        what: "a job state or { state, failureContains }",
        of: [JOB_STATE, obj({ state: req(JOB_STATE), failureContains: opt(text) })],
      },
    },
    "Per job id: its end state.",
  ),
  events: def({ t: "array", of: EVENT }, []),
  faultsMustFire: def({ t: "bool" }, true, "Every scheduled fault must take effect."),
  comment: COMMENT,
});

const STORE = obj(
  {
    apps: def(
      {
        t: "array",
        of: obj({
          id: req(text),
          desc: req(
            obj({
              name: req(text),
              maxCores: opt(int(1)),
              memoryPerExecutorMb: def(int(1), 1024),
              coresPerExecutor: opt(int(1)),
              initialExecutorLimit: opt(int(0)),
              command: def({ t: "anyObject" }, {}),
            }),
          ),
          driverAddress: req(text),
          startTimeMs: def(int(0), 0),
        }),
      },
      [],
    ),
    drivers: def(
      {
        t: "array",
        of: obj({
          id: req(text),
          desc: req(
            obj({ cores: req(int(1)), memoryMb: req(int(1)), supervise: def({ t: "bool" }, false), command: def({ t: "anyObject" }, {}) }),
          ),
          startTimeMs: def(int(0), 0),
        }),
      },
      [],
    ),
    workers: def(
      {
        t: "array",
        of: obj({
          id: req(text),
          host: req(text),
          port: def(int(0, 65535), 7078),
          address: req(text),
          cores: req(int(1)),
          memoryMb: req(int(1)),
        }),
      },
      [],
    ),
  },
  "What the recovery store holds before any master starts: the records a master recovers at its first election (needs a recovery mode).",
);

/** The whole scenario file. */
export const SCENARIO_FORMAT = obj({
  $schema: opt(text, "The JSON Schema this file follows (for editors)."),
  name: req(text),
  comment: req(text, "What the scenario shows, printed with its verdict."),
  seed: def(int(0), 1),
  timeLimitMs: req(int(1)),
  stopWhenDone: def({ t: "bool" }, true, "End the run once every job has ended and every expected event happened."),
  cluster: req(CLUSTER),
  config: def(CONFIG, {}),
  apps: def(
    { t: "array", of: obj({ ...APP_FIELDS, submitAtMs: def(int(0), 0) }) },
    [],
    "Client-mode applications: each runs its driver as node drv-<name>.",
  ),
  drivers: def(
    {
      t: "array",
      of: obj({
        name: req(text),
        submitAtMs: def(int(0), 0),
        supervise: def({ t: "bool" }, false),
        cores: def(int(1), 1),
        memoryMb: def(int(1), 1024),
        app: req(obj(APP_FIELDS)),
      }),
    },
    [],
    "Cluster-mode drivers, submitted to the masters and launched on a worker.",
  ),
  faults: def({ t: "array", of: FAULT }, [], "The fault timeline, and scripted actions (messages injected, driver actions)."),
  randomFaults: opt(
    obj({
      fromMs: def(int(0), 0),
      untilMs: req(int(0)),
      perMinute: req({ t: "number", min: 0 }, "Mean number of faults per virtual minute."),
      kinds: req({
        t: "array",
        of: {
          t: "string",
          choices: { what: "random fault kind", values: ["crashWorker", "pauseWorker", "partitionWorker", "crashExecutor"] },
        },
      }),
      durationMs: def(int(1), 30_000, "How long a pause or partition lasts, and when a crashed worker restarts."),
    }),
  ),
  expect: def(EXPECT, {}),
  store: opt(STORE),
  network: opt(
    obj({
      lossy: def(
        { t: "bool" },
        false,
        "Messages crossing a partition or dropped by a fault vanish silently, with no disconnect (the raw loss model).",
      ),
    }),
    "The network's delivery model: TCP by default (a message on a live connection is only delayed; a partition that outlasts the connection timeout breaks the connection, and both ends are told).",
  ),
});

/** The JSON Schema of scenario files (scenarios/scenario.schema.json is this, written by `npm run schema`). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "flint scenario",
    description:
      'A cluster scenario for `npx flint sim` and `npx flint fuzz`: a cluster, its applications, a fault timeline and the expected outcome. Generated from SCENARIO_FORMAT in src/sim/scenario.ts by `npm run schema`; README.md "Writing a scenario" explains it.',
    ...toJsonSchema(SCENARIO_FORMAT),
  };
}

/** The text of scenarios/scenario.schema.json. */
export function scenarioSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + "\n";
}

// ---- Parsing: the generated validator, then the checks that need the whole file ---------------

const ROOT_OBJECTS = new Set(["cluster", "config", "expect", "randomFaults", "store", "network"]);

/** Root scalars are named `scenario.<field>`, as a reader looks for them; nested paths start at their section. */
function rootPath(path: string): string {
  return /^[^.[]+$/.test(path) && !ROOT_OBJECTS.has(path) ? `scenario.${path}` : path;
}

/** Validates a parsed scenario file; throws ScenarioError naming the bad field's path. */
export function parseScenario(v: unknown): Scenario {
  let raw: Record<string, unknown>;
  try {
    raw = validate(SCENARIO_FORMAT, v, "") as Record<string, unknown>;
  } catch (e) {
    if (e instanceof FormatError) throw new ScenarioError(e.path === "" ? "scenario" : rootPath(e.path), e.problem);
    throw e;
  }
  const { $schema: _schema, expect: rawExpect, store, faults, ...rest } = raw;
  // Comments are for the reader of the file; the in-memory scenario does not carry them.
  const bare = (faults as Array<Record<string, unknown>>).map(({ comment: _comment, ...f }) => f);
  const scenario = { ...rest, faults: bare, expect: normaliseExpect(rawExpect as Record<string, unknown>) } as unknown as Scenario;
  if (store !== undefined) scenario.store = store as StoredRecords;
  if (scenario.randomFaults === undefined) scenario.randomFaults = null;
  const problems = validateConfig({ ...DEFAULT_CONFIG, ...scenario.config } as ProtocolConfig);
  if (problems.length > 0) throw new ScenarioError("config", problems.join("; "));
  checkWhole(scenario, v as { expect?: { events?: Array<{ minCount?: unknown }> } });
  return scenario;
}

function normaliseExpect(o: Record<string, unknown>): Expectation {
  const jobs: Expectation["jobs"] = {};
  for (const [id, spec] of Object.entries((o["jobs"] ?? {}) as Record<string, unknown>))
    jobs[id] = typeof spec === "string" ? { state: spec as Expectation["jobs"][string]["state"] } : (spec as Expectation["jobs"][string]);
  const events = (o["events"] as Array<Record<string, unknown>>).map((e) => {
    const { comment: _comment, ...rest } = e;
    return rest as unknown as EventExpectation & { before?: number | string };
  });
  return {
    allJobsSucceed: (o["allJobsSucceed"] as boolean | undefined) ?? o["jobs"] === undefined,
    jobs,
    events: events as EventExpectation[],
    faultsMustFire: o["faultsMustFire"] as boolean,
  };
}

/** The names a scenario's nodes can have: fixed ones, and families whose members get ids at run time. */
export interface NodeNames {
  fixed: string[];
  /** Name prefixes of nodes named at run time (executors "exec-", cluster-mode drivers "driver-"). */
  families: string[];
  apps: string[];
  drivers: string[];
}

export function nodeNamesOf(s: Scenario): NodeNames {
  const workers = s.cluster.workers.reduce((n, g) => n + g.count, 0);
  const fixed = [
    ...Array.from({ length: s.cluster.masters }, (_, i) => `master-${i + 1}`),
    "client",
    ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`),
    ...s.apps.map((a) => `drv-${a.name}`),
  ];
  const families: string[] = [];
  if (s.apps.length + s.drivers.length > 0) families.push("exec-");
  if (s.drivers.length > 0) families.push("driver-");
  return {
    fixed,
    families,
    apps: [...s.apps.map((a) => a.name), ...s.drivers.map((d) => d.app.name)],
    drivers: s.drivers.map((d) => d.name),
  };
}

function nodeExists(name: string, n: NodeNames): boolean {
  return n.fixed.includes(name) || n.families.some((f) => name.startsWith(f) && name.length > f.length);
}

const known = (what: string, name: string, list: readonly string[]): string => {
  const near = closest(name, list);
  return `${what} ${JSON.stringify(name)} is not in the scenario${near !== null ? ` (did you mean ${JSON.stringify(near)}?)` : list.length > 0 && list.length <= 12 ? ` (it has: ${list.join(", ")})` : ""}`;
};

function describeNodes(n: NodeNames): string {
  const fixed = n.fixed.length <= 12 ? n.fixed.join(", ") : `${n.fixed.slice(0, 10).join(", ")}, ... (${n.fixed.length} in all)`;
  return `the cluster's nodes: ${fixed}${n.families.map((f) => `, ${f}...`).join("")}`;
}

/** An expectation's node pattern: a name, a prefix ending in "*", "app:<name>" or "driver:<name>"; it must match some node. */
function checkNodePattern(pattern: string, path: string, n: NodeNames): void {
  if (pattern.startsWith("app:")) {
    if (!n.apps.includes(pattern.slice(4))) throw new ScenarioError(path, known("app", pattern.slice(4), n.apps));
  } else if (pattern.startsWith("driver:")) {
    if (!n.drivers.includes(pattern.slice(7))) throw new ScenarioError(path, known("cluster-mode driver", pattern.slice(7), n.drivers));
  } else if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    if (!n.fixed.some((x) => x.startsWith(prefix)) && !n.families.some((f) => f.startsWith(prefix) || prefix.startsWith(f)))
      throw new ScenarioError(path, `${JSON.stringify(pattern)} matches no node (${describeNodes(n)})`);
  } else if (!nodeExists(pattern, n)) {
    const near = closest(pattern, n.fixed);
    throw new ScenarioError(
      path,
      `no node ${JSON.stringify(pattern)} in this cluster${near !== null ? ` (did you mean ${JSON.stringify(near)}?)` : ""} (${describeNodes(n)})`,
    );
  }
}

/** A fault target: "leader", "app:<name>", "driver:<name>", "executor:<app>|*", or a node name. */
function checkTarget(target: string, path: string, n: NodeNames): void {
  if (target === "leader") return;
  if (target.startsWith("executor:")) {
    const app = target.slice(9);
    if (app !== "*" && !n.apps.includes(app)) throw new ScenarioError(path, known("app", app, n.apps));
    return;
  }
  if (target.endsWith("*")) throw new ScenarioError(path, `a target names one node, not a pattern (got ${JSON.stringify(target)})`);
  checkNodePattern(target, path, n);
}

function checkFault(f: FaultSpec, path: string, s: Scenario, n: NodeNames): void {
  switch (f.kind) {
    case "crash":
    case "pause":
      return checkTarget(f.target!, `${path}.target`, n);
    case "restart":
      if (f.target!.includes(":") || f.target!.endsWith("*") || f.target === "leader")
        throw new ScenarioError(`${path}.target`, `a restart names a node (got ${JSON.stringify(f.target)})`);
      return checkNodePattern(f.target!, `${path}.target`, n);
    case "partition":
      f.hosts!.forEach((h, i) => checkTarget(h, `${path}.hosts[${i}]`, n));
      (f.others ?? []).forEach((h, i) => checkTarget(h, `${path}.others[${i}]`, n));
      return;
    case "messages":
      if (f.from !== undefined) checkTarget(f.from, `${path}.from`, n);
      if (f.to !== undefined) checkTarget(f.to, `${path}.to`, n);
      return;
    case "inject": {
      checkTarget(f.from!, `${path}.from`, n);
      checkTarget(f.to!, `${path}.to`, n);
      const type = f.message!["type"];
      if (typeof type !== "string")
        throw new ScenarioError(`${path}.message.type`, 'is required: the message type, e.g. "WorkerLatestState"');
      if (!(MESSAGE_TYPES as readonly string[]).includes(type)) {
        const near = closest(type, MESSAGE_TYPES);
        throw new ScenarioError(
          `${path}.message.type`,
          `unknown message type ${JSON.stringify(type)}${near !== null ? ` (did you mean ${JSON.stringify(near)}?)` : ""}`,
        );
      }
      return;
    }
    case "forge":
      checkTarget(f.target!, `${path}.target`, n);
      if (f.to !== undefined) checkTarget(f.to, `${path}.to`, n);
      return;
    case "requestExecutors":
    case "killExecutors":
    case "killTask":
      if (!n.apps.includes(f.app!)) throw new ScenarioError(`${path}.app`, known("app", f.app!, n.apps));
      return;
    case "cancelJob": {
      const app = [...s.apps, ...s.drivers.map((d) => d.app)].find((a) => a.name === f.app);
      if (app === undefined) throw new ScenarioError(`${path}.app`, known("app", f.app!, n.apps));
      const jobs = app.jobs.map((j) => j.id);
      if (!jobs.includes(f.job!)) throw new ScenarioError(`${path}.job`, known(`job of app ${JSON.stringify(f.app)}:`, f.job!, jobs));
      return;
    }
    case "killDriver":
    case "driverStatus":
      if (!n.drivers.includes(f.driver!)) throw new ScenarioError(`${path}.driver`, known("cluster-mode driver", f.driver!, n.drivers));
      return;
    case "storeDown":
    case "failTasks":
    case "loseTasks":
      return;
  }
  const unreachable: never = f.kind;
  return unreachable;
}

/** Which selectors carry fields `fields` can match: messages, notifications and log effects. */
function hasFields(e: EventExpectation): boolean {
  const sel = e.input ?? e.effect ?? "";
  return sel.startsWith("message:") || sel.startsWith("send:") || sel.startsWith("notify:") || sel.startsWith("log:");
}

function checkEvents(s: Scenario, n: NodeNames, given: Array<{ minCount?: unknown }>): void {
  const events = s.expect.events as Array<EventExpectation & { before?: number | string }>;
  const labels = new Map<string, number>();
  events.forEach((e, i) => {
    const path = `expect.events[${i}]`;
    if (e.label !== undefined) {
      if (labels.has(e.label))
        throw new ScenarioError(`${path}.label`, `duplicate label ${JSON.stringify(e.label)} (also expect.events[${labels.get(e.label)}])`);
      labels.set(e.label, i);
    }
  });
  events.forEach((e, i) => {
    const path = `expect.events[${i}]`;
    checkNodePattern(e.node, `${path}.node`, n);
    if ((e.input === undefined) === (e.effect === undefined)) throw new ScenarioError(path, "give exactly one of `input` or `effect`");
    if (e.code !== undefined && e.effect !== "exit") throw new ScenarioError(`${path}.code`, 'only an "exit" effect has a code');
    if (e.fields !== undefined && !hasFields(e))
      throw new ScenarioError(
        `${path}.fields`,
        'only "message:<Type>", "send:<Type>", "notify:<kind>" and "log:<event>" selectors carry fields',
      );
    if (e.count !== undefined && given[i]?.minCount !== undefined)
      throw new ScenarioError(`${path}.count`, "give count (exactly) or minCount (at least), not both");
    if (e.absent && e.count !== undefined) throw new ScenarioError(`${path}.count`, "an absent event has no count (absent means count 0)");
    if (e.absent && e.before !== undefined) throw new ScenarioError(`${path}.before`, "an absent event happens before nothing");
    if (e.afterMs !== undefined && e.byMs !== undefined && e.afterMs > e.byMs)
      throw new ScenarioError(`${path}.byMs`, `is before afterMs (${e.afterMs})`);
    if (e.before !== undefined) {
      const ref = e.before;
      const target = typeof ref === "number" ? ref : labels.get(ref);
      if (target === undefined)
        throw new ScenarioError(
          `${path}.before`,
          `no expectation is labelled ${JSON.stringify(ref)}${labels.size > 0 ? ` (labels: ${[...labels.keys()].join(", ")})` : ""}`,
        );
      if (target >= events.length)
        throw new ScenarioError(`${path}.before`, `there is no expect.events[${target}] (${events.length} expectations)`);
      if (target === i) throw new ScenarioError(`${path}.before`, "an event cannot happen before itself");
      if (events[target]!.absent)
        throw new ScenarioError(`${path}.before`, `expect.events[${target}] is an absent event: it never happens`);
      e.before = target;
    }
  });
}

function checkWhole(scenario: Scenario, given: { expect?: { events?: Array<{ minCount?: unknown }> } }): void {
  const jobIds = new Set<string>();
  const names = new Set<string>();
  const allApps: Array<[string, AppSpec]> = [
    ...scenario.apps.map((a, i): [string, AppSpec] => [`apps[${i}]`, a]),
    ...scenario.drivers.map((d, i): [string, AppSpec] => [`drivers[${i}].app`, d.app]),
  ];
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
  if (scenario.cluster.recoveryMode === "none" && scenario.cluster.masters > 1)
    throw new ScenarioError("cluster.recoveryMode", 'several masters need recovery mode "zookeeper" (or "filesystem")');
  if (scenario.store !== undefined && scenario.cluster.recoveryMode === "none")
    throw new ScenarioError("store", 'a store needs recovery mode "zookeeper" or "filesystem" (mode "none" keeps nothing)');
  const n = nodeNamesOf(scenario);
  scenario.faults.forEach((f, i) => checkFault(f, `faults[${i}]`, scenario, n));
  checkEvents(scenario, n, given.expect?.events ?? []);
}
