/**
 * Shrinking a failing scenario: greedy passes that each propose smaller variants (drop chunks of
 * faults and driver actions, shorten durations, remove workers, apps (with their actions),
 * drivers, jobs, stages and tasks, remove a master, lower the counts of killExecutors,
 * failTasks and loseTasks), re-run every variant with the same seed, and keep the first one that still fails the
 * same check, until no pass makes progress or the run budget is spent.
 */
import type { RoleSet } from "../cluster.js";
import { runPlan, scenarioJson, type PlanOutcome } from "../fuzz/run.js";
import { parseScenario, ScenarioError, type AppSpec, type FaultSpec, type Scenario } from "../scenario.js";

export interface ScenarioSize {
  faults: number;
  /** Masters, workers, client-mode apps and cluster-mode drivers. */
  nodes: number;
  tasks: number;
  /** Events of the failing run (simulated messages, timers and faults). */
  events: number;
}

export interface ShrinkResult {
  scenario: Scenario;
  outcome: PlanOutcome;
  /** The check both the original and the shrunk scenario fail. */
  check: string;
  before: ScenarioSize;
  after: ScenarioSize;
  /** Simulations run while shrinking. */
  runs: number;
}

/** Re-runs allowed by default (each is a full simulation). */
export const DEFAULT_MAX_RUNS = 2_000;

const clone = (s: Scenario): Scenario => structuredClone(s);

function allApps(s: Scenario): AppSpec[] {
  return [...s.apps, ...s.drivers.map((d) => d.app)];
}

export function sizeOf(s: Scenario, events: number): ScenarioSize {
  let tasks = 0;
  for (const a of allApps(s)) for (const j of a.jobs) for (const st of j.stages) tasks += st.tasks;
  const workers = s.cluster.workers.reduce((n, g) => n + g.count, 0);
  return { faults: s.faults.length, nodes: s.cluster.masters + workers + s.apps.length + s.drivers.length, tasks, events };
}

/** Variants with chunks of faults removed, biggest chunks first (delta debugging's complement step). */
export function dropFaults(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  const n = s.faults.length;
  for (let chunk = Math.max(1, Math.floor(n / 2)); chunk >= 1; chunk = chunk === 1 ? 0 : Math.max(1, Math.floor(chunk / 2))) {
    for (let i = 0; i < n; i += chunk) {
      const c = clone(s);
      c.faults.splice(i, chunk);
      out.push(c);
    }
  }
  return out;
}

/** Variants with one fault's duration, restart delay or message delay halved (in whole seconds; none below 2 s). */
export function shortenFaults(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  s.faults.forEach((f, i) => {
    for (const key of ["durationMs", "restartAfterMs", "delayMs"] as const) {
      const v = f[key];
      if (v !== undefined && v >= 2000) {
        const c = clone(s);
        (c.faults[i] as FaultSpec)[key] = Math.round(v / 2000) * 1000;
        out.push(c);
      }
    }
  });
  return out;
}

/** Variants with a worker group removed or one worker fewer in it, a master fewer, or an app or driver removed (one must stay). */
export function dropNodes(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  s.cluster.workers.forEach((g, i) => {
    if (s.cluster.workers.length > 1) {
      const c = clone(s);
      c.cluster.workers.splice(i, 1);
      out.push(c);
    }
    if (g.count > 1) {
      const c = clone(s);
      c.cluster.workers[i]!.count = g.count - 1;
      out.push(c);
    }
  });
  if (s.cluster.masters > 1) {
    const c = clone(s);
    c.cluster.masters -= 1; // the recovery mode stays: one master still recovers from its store
    out.push(c);
  }
  if (s.apps.length + s.drivers.length > 1) {
    s.apps.forEach((a, i) => {
      const c = clone(s);
      c.apps.splice(i, 1);
      out.push(withoutActionsOf(c, a.name));
    });
    s.drivers.forEach((d, i) => {
      const c = clone(s);
      c.drivers.splice(i, 1);
      // The user's questions about that driver go with it (killDriver, driverStatus).
      c.faults = c.faults.filter((f) => f.driver !== d.name);
      out.push(withoutActionsOf(c, d.app.name));
    });
  }
  return out;
}

/** The scenario without the driver actions of an app it no longer has (or of one job of it). */
function withoutActionsOf(s: Scenario, app: string, job?: string): Scenario {
  s.faults = s.faults.filter((f) => f.app !== app || (job !== undefined && f.job !== job));
  return s;
}

/** Variants with less work: a job or stage removed, a stage's tasks halved, its jitter and failures off. */
export function shrinkWork(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  const apps = allApps(s);
  apps.forEach((a, ai) => {
    const pick = (c: Scenario): AppSpec => allApps(c)[ai]!;
    a.jobs.forEach((j, ji) => {
      if (a.jobs.length > 1) {
        const c = clone(s);
        pick(c).jobs.splice(ji, 1);
        out.push(withoutActionsOf(c, a.name, j.id));
      }
      j.stages.forEach((st, si) => {
        if (j.stages.length > 1) {
          const c = clone(s);
          pick(c).jobs[ji]!.stages.splice(si, 1);
          out.push(c);
        }
        if (st.tasks > 1) {
          const c = clone(s);
          pick(c).jobs[ji]!.stages[si]!.tasks = Math.max(1, Math.floor(st.tasks / 2));
          out.push(c);
        }
        if (st.jitterMs > 0 || st.failProbability > 0) {
          const c = clone(s);
          const cs = pick(c).jobs[ji]!.stages[si]!;
          cs.jitterMs = 0;
          cs.failProbability = 0;
          out.push(c);
        }
      });
    });
  });
  return out;
}

/** Variants with one count halved: fewer executors killed by a killExecutors action, fewer attempts failed by failTasks. */
export function shrinkCounts(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  s.faults.forEach((f, i) => {
    if ((f.kind === "killExecutors" || f.kind === "failTasks" || f.kind === "loseTasks") && f.count !== undefined && f.count > 1) {
      const c = clone(s);
      c.faults[i]!.count = Math.floor(f.count / 2);
      out.push(c);
    }
  });
  return out;
}

/** The passes in the order they are tried: the biggest reductions first. */
export const PASSES = [dropFaults, dropNodes, shrinkWork, shortenFaults, shrinkCounts];

/** Whether the scenario, written as a file, loads again (a variant without worker-3 must not keep a fault aimed at it). */
export function loadable(s: Scenario): boolean {
  try {
    parseScenario(JSON.parse(scenarioJson(s)));
    return true;
  } catch (e) {
    if (e instanceof ScenarioError) return false;
    throw e;
  }
}

/** Smaller is better: fewer faults, then nodes, then tasks, then events. */
export function smaller(a: ScenarioSize, b: ScenarioSize): boolean {
  if (a.faults !== b.faults) return a.faults < b.faults;
  if (a.nodes !== b.nodes) return a.nodes < b.nodes;
  if (a.tasks !== b.tasks) return a.tasks < b.tasks;
  return a.events < b.events;
}

/**
 * Shrinks a failing scenario to a smaller one failing the same check. Throws if the scenario does
 * not fail. `strict` counts documented Spark weaknesses as failures (to shrink one of those).
 * `progress` hears every accepted step. `stop`, asked before each run after the first, ends the
 * search early with the smallest failing scenario found so far (a host's time budget).
 */
export function shrink(
  failing: Scenario,
  roles: RoleSet,
  options: { maxRuns?: number; strict?: boolean; progress?: (size: ScenarioSize, runs: number) => void; stop?: () => boolean } = {},
): ShrinkResult {
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const runOptions = { strict: options.strict === true };
  let best = clone(failing);
  let outcome = runPlan(best, roles, runOptions);
  let runs = 1;
  if (outcome.failure === null) throw new Error(`${failing.name} (seed ${failing.seed}) does not fail: nothing to shrink`);
  const check = outcome.failure.check;
  const before = sizeOf(best, outcome.events);
  let bestSize = before;
  let progress = true;
  while (progress && runs < maxRuns && options.stop?.() !== true) {
    progress = false;
    for (const pass of PASSES) {
      for (const candidate of pass(best)) {
        if (runs >= maxRuns || options.stop?.() === true) break;
        if (!loadable(candidate)) continue;
        let o: PlanOutcome;
        runs++;
        try {
          o = runPlan(candidate, roles, runOptions);
        } catch {
          continue; // runPlan turns a failing run into an outcome; only a crash in its judging code lands here
        }
        if (o.failure?.check !== check) continue;
        const size = sizeOf(candidate, o.events);
        if (!smaller(size, bestSize)) continue;
        best = candidate;
        outcome = o;
        bestSize = size;
        progress = true;
        options.progress?.(size, runs);
        break; // restart this pass on the smaller scenario
      }
    }
  }
  return { scenario: best, outcome, check, before, after: bestSize, runs };
}
