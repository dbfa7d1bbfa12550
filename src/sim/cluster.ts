/**
 * A scenario run: builds a world of masters, workers, client-mode drivers and a submission
 * client from a scenario, supplies what the world's hooks need (what a launch starts, what a task
 * does, where persisted records go), injects the fault timeline, runs the checks, collects job
 * outcomes, a timeline, and the verdict.
 */
import {
  address,
  formatWorkerId,
  resolveConfig,
  type Address,
  type ApplicationDescription,
  type DriverConfig,
  type Effect,
  type ExecutorConfig,
  type Input,
  type JobId,
  type LaunchSpec,
  type MasterConfig,
  type Message,
  type ProtocolConfig,
  type TaskDescription,
  type TaskPayload,
  type WorkerConfig,
  type WorkerId,
} from "../protocol/index.js";
import { assertNever } from "../protocol/assert.js";
import type { DriverRoleState } from "../protocol/driver/state.js";
import { Checks, type Violation } from "./checks.js";
import { driverAction } from "./driverActions.js";
import { workerGiveUpAfterMs } from "../protocol/worker/init.js";
import { submissionClient, submitDriverInput } from "./client.js";
import { Election, RecoveryStore, type ElectionEvent } from "./election.js";
import { forgeMessage, type ForgedMessageType } from "./forge.js";
import { nodeSeed, stream, type Stream } from "./rng.js";
import type { AppSpec, EventExpectation, FaultSpec, Scenario, StageSpec } from "./scenario.js";
import { timelineOf, type TimelineEntry } from "./timeline.js";
import type { TraceRecord } from "./trace.js";
import type { Link } from "./network.js";
import { World, type AnyRole, type NodeSpec, type SimNode, type TaskPlan } from "./world.js";

export interface RoleSet {
  master: AnyRole;
  worker: AnyRole;
  driver: AnyRole;
  executor: AnyRole;
}

export interface RunOptions {
  seed?: number;
  /** Stop at this virtual time instead of the scenario's limit. */
  untilMs?: number;
  recordSink?: (record: TraceRecord) => void;
  /** Keep every node's final reducer state in the result (large for big clusters). */
  includeStates?: boolean;
  /** Timeline entries kept (the rest are counted). */
  timelineLimit?: number;
  maxEvents?: number;
  /**
   * Internal, for the benchmark only (bench/sim.js measures what the safety checks cost): false
   * skips the per-step safety checks. Never set by the CLI, the fuzzer or a test of a verdict.
   */
  safetyChecks?: boolean;
}

export interface JobOutcome {
  app: string;
  state: "succeeded" | "failed" | "unfinished";
  reason?: string;
  atMs?: number;
}

export interface FaultRecord {
  index: number;
  atMs: number;
  kind: string;
  target: string;
  fired: boolean;
  detail: string;
  random: boolean;
}

export interface NodeSummary {
  kind: string;
  alive: boolean;
  exitCode: number | null;
  exitReason: string;
  state?: unknown;
}

export interface SimResult {
  scenario: string;
  seed: number;
  traceHash: string;
  virtualTimeMs: number;
  stopReason: string;
  counts: World["counts"];
  faults: FaultRecord[];
  jobs: Record<string, JobOutcome>;
  nodes: Record<string, NodeSummary>;
  violations: Violation[];
  violationCount: number;
  election: ElectionEvent[];
  store: { records: number; writes: number; lostWrites: number };
  timeline: TimelineEntry[];
  timelineDropped: number;
  verdict: { ok: boolean; reasons: string[] };
}

/**
 * What a task payload carries: the key of its stage's workload spec (`<jobId>/<stageIndex>`), a
 * string like the reference to a serialized closure. A string costs nothing to copy: the driver
 * and the executor copy every payload they pass on (effects never share objects with the state).
 */
type TaskWorkKey = string;

interface DriverRun {
  app: AppSpec;
  pending: Set<string>;
  submitted: number;
}

interface CompiledExpectation {
  spec: EventExpectation;
  matchNode: (node: SimNode) => boolean;
  input: string | null;
  inputMessage: string | null;
  effect: string | null;
  effectSub: string | null;
  /** `spec.fields` as [name, value] pairs, or null when the expectation matches no fields. */
  fields: Array<[string, unknown]> | null;
  /** The field names seen on events of the selected type (only with `fields`): a name never seen is a typo, not a miss. */
  fieldsSeen: Set<string> | null;
  /** Events of the selected type seen, whatever their fields (only with `fields`). */
  typeMatches: number;
  /** Virtual times it happened (first 1000), on which node, and the world's step count then (orders events of the same ms). */
  hits: Array<{ timeMs: number; node: SimNode; step: number }>;
}

const SETTLE_MS = 1_000;
const CLIENT = "client";

export class ClusterRun {
  readonly world: World;
  readonly election: Election;
  readonly checks: Checks;
  readonly config: ProtocolConfig;
  readonly seed: number;
  readonly timeline: TimelineEntry[] = [];
  timelineDropped = 0;
  readonly jobs: Record<string, JobOutcome> = {};
  readonly faults: FaultRecord[] = [];
  private readonly faultsRng: Stream;
  private readonly workloadRng: Stream;
  private readonly masterNames: Address[];
  private readonly driverRuns = new Map<string, DriverRun>();
  private readonly appsByName = new Map<string, AppSpec>();
  /** The workload of every submitted stage, by the key its task payloads carry. */
  private readonly stageWork = new Map<TaskWorkKey, StageSpec>();
  private readonly expectations: CompiledExpectation[];
  private failNextTasks = 0;
  private failTasksFaults: FaultRecord[] = [];
  private loseNextTasks = 0;
  private loseTasksFaults: FaultRecord[] = [];
  private readonly messageFaultRecords: Array<{ record: FaultRecord; id: number }> = [];
  private lastFaultAtMs = 0;
  private stopping = false;
  private readonly timelineLimit: number;
  private readonly safetyChecks: boolean;

  constructor(
    readonly scenario: Scenario,
    readonly roles: RoleSet,
    readonly options: RunOptions = {},
  ) {
    this.seed = options.seed ?? scenario.seed;
    this.config = resolveConfig(scenario.config);
    this.faultsRng = stream(this.seed, "faults");
    this.workloadRng = stream(this.seed, "workload");
    this.timelineLimit = options.timelineLimit ?? 5_000;
    this.safetyChecks = options.safetyChecks ?? true;
    const c = scenario.cluster;
    this.world = new World({
      seed: this.seed,
      latency: { minMs: c.latencyMs[0], maxMs: c.latencyMs[1] },
      launchDelayMs: c.launchDelayMs,
      network: { lossy: scenario.network?.lossy ?? false },
      ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
      ...(options.recordSink !== undefined ? { recordSink: options.recordSink } : {}),
      hooks: {
        launcher: (spec, parent) => this.launcher(spec, parent),
        taskPlan: (task) => this.taskPlan(task),
        persist: (_node, key, record) => this.election.store.persist(key, record),
        unpersist: (_node, key) => this.election.store.unpersist(key),
        afterStep: (node, input, effects, sender, targets, inputLink, links, inputStamp) => this.afterStep(node, input, effects, sender ?? null, targets ?? null, inputLink ?? null, links ?? null, inputStamp ?? 0),
        nodeDown: (node) => this.nodeDown(node),
        nodeUp: (node) => this.nodeUp(node),
        restartConfig: (node) => this.restartConfig(node),
      },
    });
    const store = new RecoveryStore(c.recoveryMode !== "none");
    if (scenario.store !== undefined) store.preload(scenario.store);
    this.election = new Election(this.world, store, c.recoveryMode, c.sessionTimeoutMs);
    this.checks = new Checks(this.election, this.world);
    this.masterNames = Array.from({ length: c.masters }, (_, i) => address(`master-${i + 1}`));
    for (const a of scenario.apps) this.appsByName.set(a.name, a);
    for (const d of scenario.drivers) this.appsByName.set(d.app.name, d.app);
    for (const a of this.appsByName.values()) for (const j of a.jobs) this.jobs[j.id] = { app: a.name, state: "unfinished" };
    this.expectations = scenario.expect.events.map((e) => this.compile(e));
  }

  // ---- Building the cluster ---------------------------------------------------------------

  private masterConfig(name: Address): MasterConfig {
    return { address: name, protocol: this.config, seed: nodeSeed(this.seed, name) };
  }

  private workerConfig(name: Address, cores: number, memoryMb: number, life: number): WorkerConfig {
    const port = 7078;
    return {
      workerId: formatWorkerId(this.world.epochMs + this.world.now, name, port),
      host: name,
      port,
      address: name,
      cores,
      memoryMb,
      masterAddresses: this.masterNames.slice(),
      protocol: this.config,
      seed: nodeSeed(this.seed, life === 0 ? name : `${name}#${life}`),
    };
  }

  private appDesc(app: AppSpec): ApplicationDescription {
    const desc: ApplicationDescription = { name: app.name, memoryPerExecutorMb: app.memoryPerExecutorMb, command: { simApp: app.name } };
    if (app.maxCores !== undefined) desc.maxCores = app.maxCores;
    if (app.coresPerExecutor !== undefined) desc.coresPerExecutor = app.coresPerExecutor;
    return desc;
  }

  private driverConfig(name: Address, host: string, app: AppSpec, life: number): DriverConfig {
    return { address: name, host, masterAddresses: this.masterNames.slice(), appDesc: this.appDesc(app), protocol: this.config, seed: nodeSeed(this.seed, `${name}#${life}`) };
  }

  private start(): void {
    const s = this.scenario;
    const w = this.world;
    // Faults first: one due at the same time as a node's start takes effect before it.
    const faults = [...s.faults.map((f) => ({ f, random: false })), ...this.randomFaults().map((f) => ({ f, random: true }))];
    faults.sort((a, b) => a.f.atMs - b.f.atMs);
    for (const { f, random } of faults) {
      const record: FaultRecord = { index: this.faults.length, atMs: f.atMs, kind: f.kind, target: f.target ?? (f.hosts ? f.hosts.join(",") : (f.messageType ?? f.app ?? f.from ?? "")), fired: false, detail: "", random };
      this.faults.push(record);
      this.lastFaultAtMs = Math.max(this.lastFaultAtMs, f.atMs);
      w.at(f.atMs, () => this.inject(f, record));
    }
    for (const name of this.masterNames) w.addNode({ name, kind: "master", role: this.roles.master, config: this.masterConfig(name) });
    w.addNode({ name: CLIENT, kind: "client", role: submissionClient as AnyRole, config: { masterAddresses: this.masterNames.slice(), protocol: this.config } });
    let n = 0;
    for (const group of s.cluster.workers) {
      for (let i = 0; i < group.count; i++) {
        const name = address(`worker-${++n}`);
        w.at(group.startAtMs, () => {
          const spec: NodeSpec = { name, kind: "worker", role: this.roles.worker, config: this.workerConfig(name, group.cores, group.memoryMb, 0), labels: { cores: String(group.cores), memoryMb: String(group.memoryMb) } };
          w.addNode(spec);
        });
      }
    }
    for (const app of s.apps) {
      const name = address(`drv-${app.name}`);
      w.at(app.submitAtMs, () => w.addNode({ name, kind: "driver", role: this.roles.driver, config: this.driverConfig(name, name, app, 0), labels: { app: app.name } }));
    }
    for (const d of s.drivers) {
      w.at(d.submitAtMs, () => {
        w.pushInput(w.byName.get(CLIENT)!, submitDriverInput({ cores: d.cores, memoryMb: d.memoryMb, supervise: d.supervise, command: { simDriver: d.name } }));
      });
    }
  }

  private randomFaults(): FaultSpec[] {
    const r = this.scenario.randomFaults;
    if (r === null || r.perMinute <= 0 || r.kinds.length === 0) return [];
    const workers = this.scenario.cluster.workers.reduce((sum, g) => sum + g.count, 0);
    const out: FaultSpec[] = [];
    let t = r.fromMs;
    for (let i = 0; i < 10_000; i++) {
      t += Math.max(1, Math.round((-Math.log(1 - this.faultsRng.next()) * 60_000) / r.perMinute));
      if (t >= r.untilMs) break;
      const kind = r.kinds[this.faultsRng.int(0, r.kinds.length - 1)]!;
      const worker = `worker-${this.faultsRng.int(1, workers)}`;
      if (kind === "crashWorker") out.push({ atMs: t, kind: "crash", target: worker, restartAfterMs: r.durationMs });
      else if (kind === "pauseWorker") out.push({ atMs: t, kind: "pause", target: worker, durationMs: r.durationMs });
      else if (kind === "partitionWorker") out.push({ atMs: t, kind: "partition", hosts: [worker], durationMs: r.durationMs });
      else out.push({ atMs: t, kind: "crash", target: `executor:*` });
    }
    return out;
  }

  // ---- Hooks ------------------------------------------------------------------------------

  private launcher(spec: LaunchSpec, parent: SimNode): NodeSpec | string {
    if (spec.kind === "executor") {
      const driver = this.world.byName.get(spec.driverAddress);
      const appName = driver?.labels["app"] ?? String(spec.appDesc.command["simApp"] ?? "");
      const launchError = this.appsByName.get(appName)?.executorLaunchError;
      if (launchError !== undefined) return launchError;
      const name = `exec-${spec.appId}-${spec.execId}`;
      const config: ExecutorConfig = {
        appId: spec.appId,
        execId: spec.execId,
        executorId: String(spec.execId) as ExecutorConfig["executorId"],
        address: address(name),
        hostname: parent.host,
        cores: spec.cores,
        driverAddress: spec.driverAddress,
        workerAddress: spec.workerAddress,
        protocol: this.config,
        seed: nodeSeed(this.seed, name),
      };
      return { name, kind: "executor", role: this.roles.executor, config, labels: { app: appName } };
    }
    const driverName = String(spec.desc.command["simDriver"] ?? "");
    const d = this.scenario.drivers.find((x) => x.name === driverName);
    if (d === undefined) return `unknown driver command ${JSON.stringify(spec.desc.command)}`;
    const existing = this.world.byName.get(spec.driverId);
    const life = existing === undefined ? 0 : existing.incarnation;
    return { name: spec.driverId, kind: "driver", role: this.roles.driver, config: this.driverConfig(address(spec.driverId), parent.host, d.app, life), labels: { app: d.app.name, driver: d.name } };
  }

  /** The plan `taskPlan` returns, refilled on each call (the world reads it at once: one object less per task). */
  private readonly plan: TaskPlan = { durationMs: 0, outcome: { kind: "success", value: null, sizeBytes: 0 } };

  private taskPlan(task: TaskDescription): TaskPlan {
    const work = this.stageWork.get(task.payload.data as TaskWorkKey);
    if (work === undefined) throw new Error(`task ${task.taskId}: payload ${JSON.stringify(task.payload.data)} names no stage of the scenario`);
    const durationMs = work.durationMs + (work.jitterMs > 0 ? this.workloadRng.int(0, work.jitterMs) : 0);
    let fail = work.failProbability > 0 && this.workloadRng.chance(work.failProbability);
    if (this.failNextTasks > 0) {
      this.failNextTasks--;
      fail = true;
      for (const f of this.failTasksFaults) f.fired = true;
    }
    const plan = this.plan;
    plan.durationMs = durationMs;
    if (!fail && this.loseNextTasks > 0) {
      this.loseNextTasks--;
      for (const f of this.loseTasksFaults) f.fired = true;
      plan.outcome = { kind: "lost", reason: `simulated loss of task ${task.taskId} (${task.taskSetId}#${task.index})` };
      return plan;
    }
    plan.outcome = fail ? { kind: "failure", message: `simulated failure of task ${task.taskId} (${task.taskSetId}#${task.index})` } : { kind: "success", value: task.index, sizeBytes: work.resultSizeBytes };
    return plan;
  }

  private restartConfig(node: SimNode): unknown {
    if (node.kind === "worker") return this.workerConfig(node.name, Number(node.labels["cores"]), Number(node.labels["memoryMb"]), node.incarnation);
    if (node.kind === "master") return this.masterConfig(node.name);
    return node.config;
  }

  private nodeUp(node: SimNode): void {
    // Kept on the node (read after each of its steps): the expectations this incarnation can meet,
    // or null for none (most nodes: then nothing else is read).
    const expectations = this.expectations.filter((x) => x.matchNode(node));
    node.hostData = expectations.length > 0 ? expectations : null;
    if (node.kind === "master") {
      // After init: the election answers with an input, delivered after the init step.
      this.world.at(this.world.now, () => {
        if (node.alive) this.election.masterUp(node);
      });
    } else if (node.kind === "driver") {
      const app = this.appsByName.get(node.labels["app"] ?? "");
      if (app === undefined) return;
      const run: DriverRun = { app, pending: new Set(), submitted: 0 };
      this.driverRuns.set(node.name, run);
      const incarnation = node.incarnation;
      for (const job of app.jobs) {
        this.world.at(this.world.now + job.afterMs, () => {
          if (!node.alive || node.incarnation !== incarnation) return;
          run.pending.add(job.id);
          run.submitted++;
          this.world.pushInput(node, { type: "command", command: { kind: "submitJob", jobId: job.id as JobId, taskSets: job.stages.map((s, i) => (s.cpusPerTask === undefined ? { tasks: this.payloads(job.id, i, s) } : { tasks: this.payloads(job.id, i, s), cpusPerTask: s.cpusPerTask })) } });
        });
      }
    } else if (node.kind === "executor") {
      const app = this.appsByName.get(node.labels["app"] ?? "");
      if (app?.executorExit !== undefined) {
        const { afterMs, code } = app.executorExit;
        const incarnation = node.incarnation;
        this.world.at(this.world.now + afterMs, () => {
          if (node.alive && node.incarnation === incarnation) this.world.crash(node, "executor exits on its own (scenario)", code);
        });
      }
    }
  }

  private payloads(jobId: string, stageIndex: number, stage: StageSpec): TaskPayload[] {
    const data: TaskWorkKey = `${jobId}/${stageIndex}`;
    this.stageWork.set(data, stage);
    // One payload object for every task of the stage: the command is input, and the driver copies what it keeps.
    return new Array<TaskPayload>(stage.tasks).fill({ data, sizeBytes: 1024 });
  }

  private nodeDown(node: SimNode): void {
    if (node.kind === "master") this.election.masterDown(node);
    if (node.kind === "driver" || node.kind === "master" || node.kind === "worker") this.checkDone();
  }

  private afterStep(node: SimNode, input: Input | null, effects: readonly Effect[], sender: SimNode | null, targets: ReadonlyArray<SimNode | undefined> | null, inputLink: Link | null, links: ReadonlyArray<Link | null> | null, inputStamp: number): void {
    const now = this.world.now;
    if (this.safetyChecks) {
      this.checks.afterStep(node, now, input, effects, sender, targets, inputLink, links, inputStamp);
      if (this.checks.violationCount > 0) this.world.stopRequested = true;
    }
    if (node.kind !== "executor" || effects.length > 0) this.addTimeline(node, now, input, effects);
    if (node.kind === "driver") {
      for (const e of effects) if (e.type === "notify") this.onNotify(node, e.notification);
    }
    if (node.hostData !== null) this.matchExpectations(node, node.hostData as CompiledExpectation[], now, input, effects);
  }

  private addTimeline(node: SimNode, now: number, input: Input | null, effects: readonly Effect[]): void {
    const before = this.timeline.length;
    timelineOf(node, now, input, effects, this.timeline);
    if (this.timeline.length > this.timelineLimit) {
      this.timelineDropped += this.timeline.length - this.timelineLimit;
      this.timeline.length = Math.max(before, this.timelineLimit);
    }
  }

  private onNotify(node: SimNode, n: Extract<Effect, { type: "notify" }>["notification"]): void {
    if (n.kind !== "jobSucceeded" && n.kind !== "jobFailed") return;
    const job = this.jobs[n.jobId];
    if (job !== undefined) {
      job.state = n.kind === "jobSucceeded" ? "succeeded" : "failed";
      job.atMs = this.world.now;
      if (n.kind === "jobFailed") job.reason = n.reason;
      else delete job.reason;
    }
    const run = this.driverRuns.get(node.name);
    if (run === undefined) return;
    run.pending.delete(n.jobId);
    if (run.pending.size === 0 && run.submitted === run.app.jobs.length && run.app.stopWhenDone) {
      const incarnation = node.incarnation;
      this.world.at(this.world.now + 1, () => {
        if (node.alive && node.incarnation === incarnation) this.world.pushInput(node, { type: "command", command: { kind: "stopApplication" } });
      });
    }
    this.checkDone();
  }

  // ---- Expectations -----------------------------------------------------------------------

  private compile(spec: EventExpectation): CompiledExpectation {
    const pattern = spec.node;
    let matchNode: (node: SimNode) => boolean;
    if (pattern.startsWith("app:")) matchNode = (n) => n.kind === "driver" && n.labels["app"] === pattern.slice(4);
    else if (pattern.startsWith("driver:")) matchNode = (n) => n.kind === "driver" && n.labels["driver"] === pattern.slice(7);
    else if (pattern.endsWith("*")) matchNode = (n) => n.name.startsWith(pattern.slice(0, -1));
    else matchNode = (n) => n.name === pattern;
    const [input, inputMessage] = spec.input === undefined ? [null, null] : split(spec.input);
    const [effect, effectSub] = spec.effect === undefined ? [null, null] : split(spec.effect);
    const fields = spec.fields === undefined ? null : Object.entries(spec.fields);
    return { spec, matchNode, input, inputMessage, effect, effectSub, fields, fieldsSeen: fields === null ? null : new Set(), typeMatches: 0, hits: [] };
  }

  /** `expectations`: those about this node (labels, which patterns read, change only with a new incarnation). */
  private matchExpectations(node: SimNode, expectations: CompiledExpectation[], now: number, input: Input | null, effects: readonly Effect[]): void {
    for (const x of expectations) {
      let hit = false;
      if (x.input !== null) {
        const type = input === null ? "init" : input.type;
        hit = type === x.input && (x.inputMessage === null || (input?.type === "message" && input.message.type === x.inputMessage) || (input?.type === "timer" && input.key === x.inputMessage));
        if (hit && x.fields !== null) hit = input?.type === "message" && this.fieldsMatch(x, input.message);
      } else {
        for (const e of effects) {
          if (e.type !== x.effect) continue;
          if (x.effectSub !== null) {
            const sub = e.type === "send" ? e.message.type : e.type === "notify" ? e.notification.kind : e.type === "log" ? e.event : e.type === "setTimer" ? e.key : null;
            if (sub !== x.effectSub) continue;
          }
          if (x.spec.code !== undefined && !(e.type === "exit" && e.code === x.spec.code)) continue;
          if (x.fields !== null) {
            const subject = e.type === "send" ? e.message : e.type === "notify" ? e.notification : e.type === "log" ? e.fields : null;
            if (subject === null || !this.fieldsMatch(x, subject)) continue;
          }
          hit = true;
          break;
        }
      }
      if (hit && x.hits.length < 1000) {
        x.hits.push({ timeMs: now, node, step: this.world.counts.steps });
        this.checkDone();
      }
    }
  }

  /** Whether an event of the selected type has the expected field values; notes the field names it has. */
  private fieldsMatch(x: CompiledExpectation, subject: Message | object): boolean {
    x.typeMatches++;
    const o = subject as Record<string, unknown>;
    for (const key of Object.keys(o)) x.fieldsSeen!.add(key);
    for (const [key, want] of x.fields!) if (!jsonEqual(o[key], want)) return false;
    return true;
  }

  /** The virtual time docs/protocol.md §2.2 predicts a worker gives up: the worker role's own formula, from its start. */
  predictedGiveUpMs(node: SimNode): number {
    const c = node.config as WorkerConfig;
    return node.startedAtMs + workerGiveUpAfterMs(c.protocol, c.seed);
  }

  private hitsOf(x: CompiledExpectation): CompiledExpectation["hits"] {
    const s = x.spec;
    return x.hits.filter((h) => (s.afterMs === undefined || h.timeMs >= s.afterMs) && (s.byMs === undefined || h.timeMs <= s.byMs));
  }

  private describeExpectation(x: CompiledExpectation): string {
    const s = x.spec;
    return `${s.label !== undefined ? `[${s.label}] ` : ""}${s.node} ${s.input !== undefined ? `input ${s.input}` : `effect ${s.effect}`}${s.code !== undefined ? ` code ${s.code}` : ""}${s.fields !== undefined ? ` with ${JSON.stringify(s.fields)}` : ""}`;
  }

  private expectationMet(x: CompiledExpectation): string | null {
    const s = x.spec;
    const what = this.describeExpectation(x);
    // A field name no event of the selected type ever carried is a typo: the check could otherwise never fail.
    if (x.fields !== null && x.typeMatches > 0) {
      const unseen = x.fields.map(([k]) => k).filter((k) => !x.fieldsSeen!.has(k));
      if (unseen.length > 0) return `${what}: ${x.typeMatches} events of that type were seen, none with a field ${unseen.map((k) => JSON.stringify(k)).join(" or ")} (fields they have: ${[...x.fieldsSeen!].join(", ")})`;
    }
    const hits = this.hitsOf(x);
    const window = `${s.afterMs !== undefined ? ` after ${s.afterMs} ms` : ""}${s.byMs !== undefined ? ` by ${s.byMs} ms` : ""}`;
    if (s.absent) return hits.length === 0 ? null : `${what} happened at ${hits[0]!.timeMs} ms but must not`;
    if (s.count !== undefined) {
      if (hits.length !== s.count) return `${what}: expected exactly ${s.count}${window}, saw ${hits.length}${hits.length >= 1000 ? " or more" : ""}`;
      if (s.count === 0) return null;
    } else if (hits.length < s.minCount) return `${what}: expected at least ${s.minCount}${window}, saw ${hits.length}`;
    if (s.atMs !== undefined) {
      const first = hits[0]!;
      const want = s.atMs === "workerGiveUp" ? this.predictedGiveUpMs(first.node) : s.atMs;
      if (first.timeMs !== want) return `${what}: expected at ${want} ms${s.atMs === "workerGiveUp" ? " (docs/protocol.md §2.2: 6 initial + 11 prolonged intervals)" : ""}, happened at ${first.timeMs} ms`;
    }
    if (s.before !== undefined) {
      const other = this.expectations[s.before]!;
      const mine = hits[0]!;
      const theirs = this.hitsOf(other)[0];
      const otherWhat = `expect.events[${s.before}] (${this.describeExpectation(other)})`;
      if (theirs === undefined) return `${what}: expected before ${otherWhat}, which never happened`;
      if (mine.step >= theirs.step) return `${what}: expected before ${otherWhat}, but happened first at ${mine.timeMs} ms, after it (first at ${theirs.timeMs} ms)`;
    }
    return null;
  }

  // ---- Faults -----------------------------------------------------------------------------

  private resolve(target: string): SimNode | null {
    const w = this.world;
    if (target === "leader") {
      const leader = this.election.leader;
      if (leader !== null) return leader.alive ? leader : null;
      return w.nodes.find((n) => n.kind === "master" && n.alive) ?? null;
    }
    if (target.startsWith("app:")) return w.nodes.find((n) => n.alive && n.kind === "driver" && n.labels["app"] === target.slice(4)) ?? null;
    if (target.startsWith("driver:")) return w.nodes.find((n) => n.alive && n.kind === "driver" && n.labels["driver"] === target.slice(7)) ?? null;
    if (target.startsWith("executor:")) {
      const app = target.slice(9);
      const live = w.nodes.filter((n) => n.alive && n.kind === "executor" && (app === "*" || n.labels["app"] === app));
      const busy = live.filter((n) => n.tasks.size > 0);
      const pool = busy.length > 0 ? busy : live;
      return pool.length === 0 ? null : pool[this.faultsRng.int(0, pool.length - 1)]!;
    }
    return w.byName.get(target) ?? null;
  }

  private inject(f: FaultSpec, record: FaultRecord): void {
    const w = this.world;
    const fire = (detail: string): void => {
      record.fired = true;
      record.detail = detail;
      this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: `FAULT ${f.kind}: ${detail}` });
    };
    const miss = (detail: string): void => {
      record.detail = detail;
      this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: `fault ${f.kind} did not take effect: ${detail}` });
    };
    switch (f.kind) {
      case "crash": {
        const node = this.resolve(f.target!);
        if (node === null || !w.crash(node, `crashed by fault #${record.index}`, f.exitCode)) return miss(`no live node for ${f.target}`);
        record.target = node.name;
        const tasks = node.kind === "executor" ? ` with ${node.tasks.size} running tasks` : "";
        fire(`${node.name} crashed${tasks}${f.restartAfterMs !== undefined ? `, restarts in ${f.restartAfterMs} ms` : ""}`);
        if (f.restartAfterMs !== undefined) {
          w.at(w.now + f.restartAfterMs, () => {
            if (this.restartNode(node)) this.timeline.push({ timeMs: w.now, kind: "fault", node: node.name, text: `${node.name} restarted` });
          });
        }
        return;
      }
      case "restart": {
        const node = w.byName.get(f.target!) ?? null;
        if (node === null || !this.restartNode(node)) return miss(`${f.target} is not a dead node`);
        return fire(`${node.name} restarted`);
      }
      case "pause": {
        const node = this.resolve(f.target!);
        if (node === null || !w.pause(node)) return miss(`no live running node for ${f.target}`);
        record.target = node.name;
        if (node.kind === "master") this.election.masterPaused(node);
        fire(`${node.name} paused for ${f.durationMs} ms`);
        w.at(w.now + f.durationMs!, () => {
          if (!w.resume(node)) return;
          this.timeline.push({ timeMs: w.now, kind: "fault", node: node.name, text: `${node.name} resumed` });
          if (node.kind === "master") this.election.masterResumed(node);
        });
        return;
      }
      case "partition": {
        const hosts = (list: string[]): Set<string> => new Set(list.map((h) => this.resolve(h)?.host ?? h));
        const id = record.index + 1;
        w.network.partitions.push({ id, sideA: hosts(f.hosts!), sideB: f.others ? hosts(f.others) : null, oneWay: f.oneWay ?? false });
        fire(`${f.oneWay ? "one-way " : ""}partition ${f.hosts!.join(",")} | ${f.others ? f.others.join(",") : "everyone else"}${f.durationMs !== undefined ? ` for ${f.durationMs} ms` : ""}`);
        if (f.durationMs !== undefined) {
          w.at(w.now + f.durationMs, () => {
            if (w.healPartition(id)) this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: "partition healed" });
          });
        }
        return;
      }
      case "messages": {
        const id = record.index + 1;
        w.network.faults.push({
          id,
          messageType: f.messageType ?? null,
          fromHost: f.from ? (this.resolve(f.from)?.host ?? f.from) : null,
          toHost: f.to ? (this.resolve(f.to)?.host ?? f.to) : null,
          dropProbability: f.dropProbability ?? 0,
          dropFirst: f.dropFirst ?? 0,
          delayMs: f.delayMs ?? 0,
          duplicateProbability: f.duplicateProbability ?? 0,
          fromMs: w.now,
          untilMs: f.durationMs !== undefined ? w.now + f.durationMs : Number.MAX_SAFE_INTEGER,
          hits: 0,
        });
        this.messageFaultRecords.push({ record, id });
        record.detail = `armed for ${f.messageType ?? "all messages"}`;
        this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: `FAULT messages armed: ${f.messageType ?? "all"}${f.dropFirst ? ` drop first ${f.dropFirst}` : ""}${f.dropProbability ? ` drop p=${f.dropProbability}` : ""}${f.delayMs ? ` delay ${f.delayMs} ms` : ""}${f.duplicateProbability ? ` duplicate p=${f.duplicateProbability}` : ""}` });
        return;
      }
      case "storeDown": {
        this.election.storeDown();
        fire(`recovery store unavailable for ${f.durationMs} ms`);
        w.at(w.now + f.durationMs!, () => {
          this.election.storeUp();
          this.timeline.push({ timeMs: w.now, kind: "fault", node: "store", text: "recovery store available again" });
        });
        return;
      }
      case "failTasks": {
        this.failNextTasks += f.count!;
        this.failTasksFaults.push(record);
        record.detail = `the next ${f.count} task attempts throw`;
        return;
      }
      case "inject": {
        const from = this.resolve(f.from!);
        const to = this.resolve(f.to!);
        if (from === null) return miss(`no live node for ${f.from}`);
        if (to === null) return miss(`no live node for ${f.to}`);
        const message = structuredClone(f.message!) as unknown as Message;
        record.target = `${from.name}->${to.name}`;
        w.inject(from, to.name, message);
        return fire(`${from.name} sends ${message.type} to ${to.name}`);
      }
      case "loseTasks": {
        this.loseNextTasks += f.count!;
        this.loseTasksFaults.push(record);
        record.detail = `the next ${f.count} task attempts are lost by their host`;
        return;
      }
      case "requestExecutors":
      case "killExecutors":
      case "cancelJob":
      case "killTask": {
        const driver = this.resolve(`app:${f.app!}`);
        if (driver === null) return miss(`no live driver for app ${f.app}`);
        record.target = driver.name;
        const action = driverAction(f, driver.state as DriverRoleState, record.index);
        if (typeof action === "string") return miss(action);
        this.world.pushInput(driver, { type: "command", command: action.command });
        return fire(action.detail);
      }
      case "forge": {
        const forger = this.resolve(f.target!);
        if (forger === null) return miss(`no live node for ${f.target}`);
        record.target = forger.name;
        const forged = forgeMessage(w.nodes, forger, f.messageType as ForgedMessageType, f.to ?? null);
        if (typeof forged === "string") return miss(forged);
        w.inject(forger, forged.to.name, forged.message);
        return fire(`${forger.name} sends ${forged.to.name} a forged ${forged.message.type}`);
      }
      default:
        assertNever(f.kind, "fault kind");
    }
  }

  private restartNode(node: SimNode): boolean {
    if (node.processRef !== null) return false; // a launched process is relaunched by its worker, or not at all
    return this.world.restart(node);
  }

  // ---- Ending -----------------------------------------------------------------------------

  private checkDone(): void {
    if (!this.scenario.stopWhenDone || this.stopping) return;
    const w = this.world;
    if (w.now < this.lastFaultAtMs) return;
    for (const job of Object.values(this.jobs)) if (job.state === "unfinished") return;
    for (const n of w.nodes) if (n.kind === "driver" && n.alive && this.driverRuns.get(n.name)?.app.stopWhenDone) return;
    for (const x of this.expectations) if (!x.spec.absent && this.expectationMet(x) !== null) return;
    this.stopping = true;
    w.at(w.now + SETTLE_MS, () => {
      w.stopRequested = true;
    });
  }

  run(): SimResult {
    this.start();
    const limit = Math.min(this.options.untilMs ?? this.scenario.timeLimitMs, this.scenario.timeLimitMs);
    if (this.scenario.stopWhenDone) this.world.at(this.lastFaultAtMs, () => this.checkDone());
    const stopReason = this.world.run(limit);
    return this.result(stopReason, limit);
  }

  private result(stopReason: string, limitMs: number): SimResult {
    for (const { record, id } of this.messageFaultRecords) {
      const fault = this.world.network.faults.find((x) => x.id === id)!;
      record.fired = fault.hits > 0;
      record.detail = `${fault.hits} messages affected`;
    }
    const reasons: string[] = [];
    const ex = this.scenario.expect;
    const truncated = limitMs < this.scenario.timeLimitMs;
    for (const [id, job] of Object.entries(this.jobs)) {
      const want = ex.jobs[id];
      if (want !== undefined) {
        if (job.state !== want.state) reasons.push(`job ${id}: expected ${want.state}, was ${job.state}${job.reason ? ` (${job.reason})` : ""}`);
        else if (want.failureContains !== undefined && !(job.reason ?? "").includes(want.failureContains)) reasons.push(`job ${id}: failure reason ${JSON.stringify(job.reason)} lacks ${JSON.stringify(want.failureContains)}`);
      } else if (ex.allJobsSucceed && job.state !== "succeeded") reasons.push(`job ${id}: expected succeeded, was ${job.state}${job.reason ? ` (${job.reason})` : ""}`);
    }
    for (const x of this.expectations) {
      const problem = this.expectationMet(x);
      if (problem !== null) reasons.push(problem);
    }
    if (ex.faultsMustFire) for (const f of this.faults) if (!f.fired && !f.random) reasons.push(`fault #${f.index} (${f.kind} ${f.target} at ${f.atMs} ms) never took effect${f.detail ? `: ${f.detail}` : ""}`);
    if (this.checks.violationCount > 0) reasons.push(`${this.checks.violationCount} check violations (first: ${this.checks.violations[0]!.check}: ${this.checks.violations[0]!.detail})`);
    if (truncated) reasons.push(`run cut short at ${limitMs} ms by --until (the scenario allows ${this.scenario.timeLimitMs} ms)`);
    const nodes: Record<string, NodeSummary> = {};
    for (const n of this.world.nodes) {
      const summary: NodeSummary = { kind: n.kind, alive: n.alive, exitCode: n.exitCode, exitReason: n.exitReason };
      if (this.options.includeStates) summary.state = n.state;
      nodes[n.name] = summary;
    }
    return {
      scenario: this.scenario.name,
      seed: this.seed,
      traceHash: this.world.traceHash(),
      virtualTimeMs: this.world.now,
      stopReason,
      counts: this.world.counts,
      faults: this.faults,
      jobs: this.jobs,
      nodes,
      violations: this.checks.violations,
      violationCount: this.checks.violationCount,
      election: this.election.events,
      store: { records: this.election.store.size, writes: this.election.store.writes, lostWrites: this.election.store.lostWrites },
      timeline: this.timeline.sort((a, b) => a.timeMs - b.timeMs),
      timelineDropped: this.timelineDropped,
      verdict: { ok: reasons.length === 0, reasons },
    };
  }
}

/** Equality of JSON values (a message field against the value a scenario expects). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function split(s: string): [string, string | null] {
  const i = s.indexOf(":");
  return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
}

/** Runs a scenario with the given roles. */
export function runScenario(scenario: Scenario, roles: RoleSet, options: RunOptions = {}): SimResult {
  return new ClusterRun(scenario, roles, options).run();
}
