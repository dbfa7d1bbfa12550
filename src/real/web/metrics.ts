/**
 * Prometheus metrics (prom-client, one registry per process) for the master, a worker and a
 * driver. Gauges are read from the role's live state when scraped, so they agree with
 * `flint status --json` at that moment; counters and histograms come from watching the role's
 * steps (observeRole: the inputs it took and the effects it returned), outside the reducer.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Effect, Input, Role } from "../../protocol/io.js";
import type { MasterState } from "../../protocol/master/index.js";
import type { WorkerState } from "../../protocol/worker/index.js";
import { isExecutorFinished } from "../../protocol/states.js";
import { fullExecutorId } from "../../protocol/ids.js";

/** Task launches remembered for their latency; beyond this the oldest are forgotten (not measured). */
const MAX_TRACKED_TASKS = 1_000_000;

export type StepObserver<S> = (state: S, input: Input, effects: readonly Effect[], nowMs: number) => void;

/** The role with `observe` called after each step. The observer must not change the state. */
export function observeRole<S, C>(role: Role<S, C>, observe: StepObserver<S>, before?: (state: S, input: Input) => void): Role<S, C> {
  return {
    name: role.name,
    init: (config, ctx) => role.init(config, ctx),
    step(state, input, ctx) {
      before?.(state, input);
      const effects = role.step(state, input, ctx);
      observe(state, input, effects, ctx.now);
      return effects;
    },
  };
}

const sentMessages = (effects: readonly Effect[]) => effects.flatMap((e) => (e.type === "send" ? [e.message] : []));

// ---- master ------------------------------------------------------------------------------------

export interface MasterMetrics {
  registry: Registry;
  observe: StepObserver<MasterState>;
  /** Times one write (persist or unpersist) of the recovery store. */
  timeStoreWrite<T>(write: () => Promise<T>): Promise<T>;
}

export function masterMetrics(state: () => MasterState): MasterMetrics {
  const registry = new Registry();
  new Gauge({
    name: "flint_master_workers",
    help: "Workers the master knows, by state (DEAD ones until culled).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const st of ["ALIVE", "DEAD", "DECOMMISSIONED", "UNKNOWN"]) this.set({ state: st }, 0);
      for (const w of Object.values(state().workers)) this.inc({ state: w.state });
    },
  });
  new Gauge({
    name: "flint_master_cores",
    help: "Cores of ALIVE workers: used (by executors and drivers) and free.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      setUsedAndFree(this, state(), (w) => [w.coresUsed, w.cores]);
    },
  });
  new Gauge({
    name: "flint_master_memory_mb",
    help: "Memory of ALIVE workers in MiB: used and free.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      setUsedAndFree(this, state(), (w) => [w.memoryUsed, w.memoryMb]);
    },
  });
  new Gauge({
    name: "flint_master_apps",
    help: "Applications by state: active ones, and the completed ones the master keeps.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      const s = state();
      for (const a of Object.values(s.apps)) this.inc({ state: a.state });
      for (const a of s.completedApps) this.inc({ state: a.state });
    },
  });
  new Gauge({
    name: "flint_master_drivers",
    help: "Cluster-mode drivers by state: active ones, and the completed ones the master keeps.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      const s = state();
      for (const d of Object.values(s.drivers)) this.inc({ state: d.state });
      for (const d of s.completedDrivers) this.inc({ state: d.state });
    },
  });
  new Gauge({
    name: "flint_master_executors",
    help: "Executors of active applications, by state.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of Object.values(state().apps)) for (const e of Object.values(a.executors)) this.inc({ state: e.state });
    },
  });
  new Gauge({
    name: "flint_master_alive",
    help: "1 when this master leads (ALIVE), else 0.",
    registers: [registry],
    collect() {
      this.set(state().recoveryState === "ALIVE" ? 1 : 0);
    },
  });
  const launched = new Counter({
    name: "flint_master_executors_launched_total",
    help: "LaunchExecutor orders sent to workers.",
    registers: [registry],
  });
  const ended = new Counter({
    name: "flint_master_executors_ended_total",
    help: "Executors that ended, as told to their drivers, by final state (LOST: its worker was lost or it was lost).",
    labelNames: ["state"],
    registers: [registry],
  });
  const recovery = new Gauge({
    name: "flint_master_recovery_duration_seconds",
    help: "How long the last recovery took, from election to ALIVE.",
    registers: [registry],
  });
  const storeWrites = new Histogram({
    name: "flint_master_store_write_seconds",
    help: "Latency of one recovery-store write (persist or unpersist).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  for (const st of ["LOST", "FAILED", "KILLED", "EXITED"]) ended.inc({ state: st }, 0);
  let electedAtMs: number | undefined;
  return {
    registry,
    observe(s, input, effects, nowMs) {
      if (input.type === "leaderElected") electedAtMs = nowMs;
      if (electedAtMs !== undefined && s.recoveryState === "ALIVE") {
        recovery.set((nowMs - electedAtMs) / 1000);
        electedAtMs = undefined;
      }
      for (const m of sentMessages(effects)) {
        if (m.type === "LaunchExecutor") launched.inc();
        else if (m.type === "ExecutorUpdated" && isExecutorFinished(m.state)) ended.inc({ state: m.state });
      }
    },
    async timeStoreWrite(write) {
      const end = storeWrites.startTimer();
      try {
        return await write();
      } finally {
        end();
      }
    },
  };
}

// ---- worker ------------------------------------------------------------------------------------

export interface RoleMetrics<S> {
  registry: Registry;
  observe: StepObserver<S>;
  before: (state: S, input: Input) => void;
}

export function workerMetrics(state: () => WorkerState): RoleMetrics<WorkerState> {
  const registry = new Registry();
  new Gauge({
    name: "flint_worker_cores",
    help: "This worker's cores: used (by executors and drivers) and free.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const s = state();
      this.set({ kind: "used" }, s.coresUsed);
      this.set({ kind: "free" }, s.cores - s.coresUsed);
    },
  });
  new Gauge({
    name: "flint_worker_memory_mb",
    help: "This worker's memory in MiB: used and free.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const s = state();
      this.set({ kind: "used" }, s.memoryUsed);
      this.set({ kind: "free" }, s.memoryMb - s.memoryUsed);
    },
  });
  new Gauge({
    name: "flint_worker_executors",
    help: "Executors this worker runs.",
    registers: [registry],
    collect() {
      this.set(Object.keys(state().executors).length);
    },
  });
  new Gauge({
    name: "flint_worker_drivers",
    help: "Cluster-mode drivers this worker runs.",
    registers: [registry],
    collect() {
      this.set(Object.keys(state().drivers).length);
    },
  });
  new Gauge({
    name: "flint_worker_registered",
    help: "1 while registered with a master, else 0.",
    registers: [registry],
    collect() {
      this.set(state().registered ? 1 : 0);
    },
  });
  const launched = new Counter({
    name: "flint_worker_executors_launched_total",
    help: "Executor processes this worker was told to launch.",
    registers: [registry],
  });
  const ended = new Counter({
    name: "flint_worker_executors_ended_total",
    help: "Executors of this worker that ended, by final state.",
    labelNames: ["state"],
    registers: [registry],
  });
  for (const st of ["LOST", "FAILED", "KILLED", "EXITED"]) ended.inc({ state: st }, 0);
  let runningBefore = new Set<string>();
  return {
    registry,
    before(s) {
      runningBefore = new Set(Object.keys(s.executors));
    },
    observe(s, _input, effects) {
      for (const e of effects) if (e.type === "launch" && e.spec.kind === "executor") launched.inc();
      for (const key of runningBefore) {
        if (s.executors[key] !== undefined) continue;
        const done = findLastFinished(s, key);
        ended.inc({ state: done ?? "LOST" });
      }
    },
  };
}

function findLastFinished(s: WorkerState, key: string): string | undefined {
  for (let i = s.finishedExecutors.length - 1; i >= 0; i--) {
    const f = s.finishedExecutors[i]!;
    if (fullExecutorId(f.appId, f.execId) === key) return f.state;
  }
  return undefined;
}

// ---- driver ------------------------------------------------------------------------------------

export interface DriverMetrics {
  registry: Registry;
  observe: StepObserver<unknown>;
}

export function driverMetrics(model: () => { jobs: Array<{ state: string }>; executors: Array<{ state: string }> }): DriverMetrics {
  const registry = new Registry();
  const tasks = new Counter({
    name: "flint_driver_tasks_total",
    help: "Task attempts that ended, by outcome (FINISHED, FAILED, KILLED, LOST).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  for (const o of ["FINISHED", "FAILED", "KILLED", "LOST"]) tasks.inc({ outcome: o }, 0);
  const latency = new Histogram({
    name: "flint_driver_task_duration_seconds",
    help: "From LaunchTask sent to the task's end seen by the driver.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "flint_driver_jobs",
    help: "Jobs of this application by state (finished ones as kept by the app page).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const st of ["RUNNING", "SUCCEEDED", "FAILED"]) this.set({ state: st }, 0);
      for (const j of model().jobs) this.inc({ state: j.state });
    },
  });
  new Gauge({
    name: "flint_driver_executors",
    help: "Executors of this application by state (ACTIVE, REMOVED).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const st of ["ACTIVE", "REMOVED"]) this.set({ state: st }, 0);
      for (const e of model().executors) this.inc({ state: e.state });
    },
  });
  const launchedAtMs = new Map<string, number>();
  return {
    registry,
    observe(_s, _input, effects, nowMs) {
      for (const e of effects) {
        if (e.type === "send" && e.message.type === "LaunchTask") {
          if (launchedAtMs.size >= MAX_TRACKED_TASKS) launchedAtMs.delete(launchedAtMs.keys().next().value!);
          launchedAtMs.set(String(e.message.task.taskId), nowMs);
        } else if (e.type === "notify" && e.notification.kind === "taskEnded") {
          const n = e.notification;
          tasks.inc({ outcome: n.state });
          const at = launchedAtMs.get(String(n.taskId));
          if (at !== undefined) {
            latency.observe((nowMs - at) / 1000);
            launchedAtMs.delete(String(n.taskId));
          }
        }
      }
    },
  };
}

/** One resource of the ALIVE workers as the gauge's `used` and `free` (cores and memory alike). */
function setUsedAndFree(gauge: Gauge<"kind">, s: MasterState, usedAndTotal: (w: MasterState["workers"][string]) => [number, number]): void {
  let used = 0;
  let total = 0;
  for (const w of Object.values(s.workers)) {
    if (w.state !== "ALIVE") continue;
    const [u, t] = usedAndTotal(w);
    used += u;
    total += t;
  }
  gauge.set({ kind: "used" }, used);
  gauge.set({ kind: "free" }, total - used);
}
