/**
 * A scenario run: wires the world to the cluster builder (the nodes and what a launch starts), the
 * fault injector, the workload (jobs submitted to drivers, what each task does and how it ends),
 * the safety checks, the expectation engine and the verdict; collects job outcomes and a timeline.
 */
import {
  resolveConfig,
  type Effect,
  type Input,
  type JobId,
  type ProtocolConfig,
  type TaskDescription,
  type TaskPayload,
} from "../protocol/index.js";
import { ClusterBuilder, type RoleSet } from "./builder.js";
import { Checks, type Violation } from "./checks.js";
import { Election, RecoveryStore, type ElectionEvent } from "./election.js";
import { Expectations, type CompiledExpectation } from "./expectations.js";
import { FaultInjector, type FaultRecord } from "./faults.js";
import { stream, type Stream } from "./rng.js";
import type { AppSpec, Scenario, StageSpec } from "./scenario.js";
import { timelineOf, type TimelineEntry } from "./timeline.js";
import type { TraceRecord } from "./trace.js";
import { verdictOf, type JobOutcome } from "./verdict.js";
import { World, type SimNode, type StepInfo, type TaskPlan } from "./world.js";

export type { RoleSet } from "./builder.js";
export type { FaultRecord } from "./faults.js";
export type { JobOutcome } from "./verdict.js";

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

const SETTLE_MS = 1_000;
/** A task's serialized size when its stage gives none (a small closure). */
const DEFAULT_PAYLOAD_SIZE_BYTES = 1024;

export class ClusterRun {
  readonly world: World;
  readonly election: Election;
  readonly checks: Checks;
  readonly config: ProtocolConfig;
  readonly seed: number;
  readonly timeline: TimelineEntry[] = [];
  timelineDropped = 0;
  readonly jobs: Record<string, JobOutcome> = {};
  readonly faults: FaultRecord[];
  readonly builder: ClusterBuilder;
  readonly injector: FaultInjector;
  readonly expectations: Expectations;
  private readonly workloadRng: Stream;
  private readonly driverRuns = new Map<string, DriverRun>();
  /** The workload of every submitted stage, by the key its task payloads carry. */
  private readonly stageWork = new Map<TaskWorkKey, StageSpec>();
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
        launcher: (spec, parent) => this.builder.launcher(spec, parent),
        taskPlan: (task) => this.taskPlan(task),
        persist: (_node, key, record) => this.election.store.persist(key, record),
        unpersist: (_node, key) => this.election.store.unpersist(key),
        afterStep: (step) => this.afterStep(step),
        nodeDown: (node) => this.nodeDown(node),
        nodeUp: (node) => this.nodeUp(node),
        restartConfig: (node) => this.builder.restartConfig(node),
      },
    });
    const store = new RecoveryStore(c.recoveryMode !== "none");
    if (scenario.store !== undefined) store.preload(scenario.store);
    this.election = new Election(this.world, store, c.recoveryMode, c.sessionTimeoutMs);
    this.checks = new Checks(this.election, this.world);
    this.builder = new ClusterBuilder(scenario, roles, this.world, this.config, this.seed);
    this.injector = new FaultInjector(this.world, this.election, stream(this.seed, "faults"), this.timeline, (node) =>
      this.restartNode(node),
    );
    this.faults = this.injector.records;
    for (const a of this.builder.appsByName.values()) for (const j of a.jobs) this.jobs[j.id] = { app: a.name, state: "unfinished" };
    this.expectations = new Expectations(scenario.expect.events);
  }

  /** Faults first: one due at the same time as a node's start takes effect before it. */
  private start(): void {
    this.injector.schedule(this.scenario);
    this.builder.start();
  }

  // ---- Hooks ------------------------------------------------------------------------------

  /** The plan `taskPlan` returns, refilled on each call (the world reads it at once: one object less per task). */
  private readonly plan: TaskPlan = { durationMs: 0, outcome: { kind: "success", value: null, sizeBytes: 0 } };

  private taskPlan(task: TaskDescription): TaskPlan {
    const work = this.stageWork.get(task.payload.data as TaskWorkKey);
    if (work === undefined)
      throw new Error(`task ${task.taskId}: payload ${JSON.stringify(task.payload.data)} names no stage of the scenario`);
    const durationMs = work.durationMs + (work.jitterMs > 0 ? this.workloadRng.int(0, work.jitterMs) : 0);
    const fate = this.injector.nextTaskFate(work.failProbability > 0 && this.workloadRng.chance(work.failProbability));
    const plan = this.plan;
    plan.durationMs = durationMs;
    if (fate === "lose") {
      plan.outcome = { kind: "lost", reason: `simulated loss of task ${task.taskId} (${task.taskSetId}#${task.index})` };
      return plan;
    }
    plan.outcome =
      fate === "fail"
        ? { kind: "failure", message: `simulated failure of task ${task.taskId} (${task.taskSetId}#${task.index})` }
        : { kind: "success", value: task.index, sizeBytes: work.resultSizeBytes };
    return plan;
  }

  private nodeUp(node: SimNode): void {
    // Kept on the node (read after each of its steps): the expectations this incarnation can meet,
    // or null for none (most nodes: then nothing else is read).
    node.hostData = this.expectations.forNode(node);
    if (node.kind === "master") {
      // After init: the election answers with an input, delivered after the init step.
      this.world.at(this.world.now, () => {
        if (node.alive) this.election.masterUp(node);
      });
    } else if (node.kind === "driver") {
      const app = this.builder.appsByName.get(node.labels["app"] ?? "");
      if (app === undefined) return;
      const run: DriverRun = { app, pending: new Set(), submitted: 0 };
      this.driverRuns.set(node.name, run);
      const incarnation = node.incarnation;
      for (const job of app.jobs) {
        this.world.at(this.world.now + job.afterMs, () => {
          if (!node.alive || node.incarnation !== incarnation) return;
          run.pending.add(job.id);
          run.submitted++;
          this.world.pushInput(node, {
            type: "command",
            command: {
              kind: "submitJob",
              jobId: job.id as JobId,
              taskSets: job.stages.map((s, i) =>
                s.cpusPerTask === undefined
                  ? { tasks: this.payloads(job.id, i, s) }
                  : { tasks: this.payloads(job.id, i, s), cpusPerTask: s.cpusPerTask },
              ),
            },
          });
        });
      }
    } else if (node.kind === "executor") {
      const app = this.builder.appsByName.get(node.labels["app"] ?? "");
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
    return new Array<TaskPayload>(stage.tasks).fill({ data, sizeBytes: stage.payloadSizeBytes ?? DEFAULT_PAYLOAD_SIZE_BYTES });
  }

  private nodeDown(node: SimNode): void {
    if (node.kind === "master") this.election.masterDown(node);
    if (node.kind === "driver" || node.kind === "master" || node.kind === "worker") this.checkDone();
  }

  private afterStep(step: StepInfo): void {
    const { node, input, effects } = step;
    const now = this.world.now;
    if (this.safetyChecks) {
      this.checks.afterStep(step, now);
      if (this.checks.violationCount > 0) this.world.stopRequested = true;
    }
    if (node.kind !== "executor" || effects.length > 0) this.addTimeline(node, now, input, effects);
    if (node.kind === "driver") {
      for (const e of effects) if (e.type === "notify") this.onNotify(node, e.notification);
    }
    if (
      node.hostData !== null &&
      this.expectations.match(node, node.hostData as CompiledExpectation[], now, this.world.counts.steps, input, effects)
    )
      this.checkDone();
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
        if (node.alive && node.incarnation === incarnation)
          this.world.pushInput(node, { type: "command", command: { kind: "stopApplication" } });
      });
    }
    this.checkDone();
  }

  // ---- Ending -----------------------------------------------------------------------------

  private checkDone(): void {
    if (!this.scenario.stopWhenDone || this.stopping) return;
    const w = this.world;
    if (w.now < this.injector.lastFaultAtMs) return;
    for (const job of Object.values(this.jobs)) if (job.state === "unfinished") return;
    for (const n of w.nodes) if (n.kind === "driver" && n.alive && this.driverRuns.get(n.name)?.app.stopWhenDone) return;
    if (!this.expectations.allPositiveMet()) return;
    this.stopping = true;
    w.at(w.now + SETTLE_MS, () => {
      w.stopRequested = true;
    });
  }

  run(): SimResult {
    this.start();
    const limit = Math.min(this.options.untilMs ?? this.scenario.timeLimitMs, this.scenario.timeLimitMs);
    if (this.scenario.stopWhenDone) this.world.at(this.injector.lastFaultAtMs, () => this.checkDone());
    const stopReason = this.world.run(limit);
    return this.result(stopReason, limit);
  }

  private restartNode(node: SimNode): boolean {
    if (node.processRef !== null) return false; // a launched process is relaunched by its worker, or not at all
    return this.world.restart(node);
  }

  private result(stopReason: string, limitMs: number): SimResult {
    this.injector.settle();
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
      verdict: verdictOf({
        scenario: this.scenario,
        jobs: this.jobs,
        expectations: this.expectations,
        faults: this.faults,
        checks: this.checks,
        limitMs,
      }),
    };
  }
}

/** Runs a scenario with the given roles. */
export function runScenario(scenario: Scenario, roles: RoleSet, options: RunOptions = {}): SimResult {
  return new ClusterRun(scenario, roles, options).run();
}
