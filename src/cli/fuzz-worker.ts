/**
 * A fuzz worker thread: receives base scenarios once, then seeds (or given plans) to run, and
 * posts each run's outcome back (with the replayable plan when it failed, the weaknesses it hit
 * and, when asked, the protocol coverage it reached). Lives outside src/sim, which must not
 * import node:*.
 */
import { parentPort } from "node:worker_threads";
import { Coverage } from "../sim/coverage.js";
import { fuzzPlan, fuzzSeed } from "../sim/fuzz/index.js";
import { ROLES } from "../sim/roles.js";
import type { Scenario } from "../sim/scenario.js";

export interface WorkerTask {
  type: "seed";
  /** Index of the base scenario in the list sent with "init". */
  base: number;
  seed: number;
  /** A plan to run instead of the seed's drawn plan (a mutant of a corpus plan). */
  plan?: Scenario;
  /** Index of the task in the run's schedule (replies are put back in this order). */
  index: number;
}
export type WorkerRequest =
  | { type: "init"; bases: Scenario[]; bugs: string[]; strict: boolean; coverage: boolean }
  | WorkerTask
  | { type: "stop" };

export interface WorkerReply {
  base: number;
  seed: number;
  index: number;
  ok: boolean;
  check: string | null;
  detail: string;
  events: number;
  weaknesses: number;
  /** Why liveness was not judged in this seed (null: judged, or every job ended). */
  livenessUnjudged: string | null;
  /** The documented weaknesses hit, each once. */
  weaknessNames: string[];
  plan: Scenario | null;
  /** Coverage cells reached (coverage.ts indices, ascending) and handler outcomes; empty when not tracked. */
  cells: number[];
  branches: string[];
  error?: string;
}

export interface RunContext {
  bases: Scenario[];
  bugs: string[];
  strict: boolean;
  /** Null: coverage not tracked. */
  coverage: Coverage | null;
}

/** Runs one seed; shared by the worker threads and the in-process (--jobs 1) path. */
export function runTask(ctx: RunContext, task: WorkerTask): WorkerReply {
  const options = { bugs: ctx.bugs, strict: ctx.strict, ...(ctx.coverage !== null ? { coverage: ctx.coverage } : {}) };
  const r = task.plan !== undefined ? fuzzPlan(task.plan, ROLES, options) : fuzzSeed(ctx.bases[task.base]!, task.seed, ROLES, options);
  const f = r.outcome.failure;
  return {
    base: task.base,
    seed: task.seed,
    index: task.index,
    ok: r.outcome.ok,
    check: f?.check ?? null,
    detail: f === null ? "" : `${f.detail}${f.step >= 0 ? ` (step ${f.step}, ${f.timeMs} ms, nodes ${f.nodes.join(", ")})` : ""}`,
    events: r.outcome.events,
    weaknesses: r.outcome.weaknesses,
    weaknessNames: r.outcome.weaknessNames,
    livenessUnjudged: r.outcome.livenessUnjudged,
    plan: r.plan,
    cells: ctx.coverage?.cellsHit() ?? [],
    branches: ctx.coverage?.branchesHit() ?? [],
  };
}

/** The reply for a task whose run threw outside the run's own judging (a crash of the worker's code). */
export function crashReply(task: WorkerTask, e: unknown): WorkerReply {
  return {
    base: task.base,
    seed: task.seed,
    index: task.index,
    ok: false,
    check: "X2:worker-crash",
    detail: String((e as Error).stack ?? e),
    events: 0,
    weaknesses: 0,
    weaknessNames: [],
    livenessUnjudged: null,
    plan: task.plan ?? null,
    cells: [],
    branches: [],
  };
}

if (parentPort !== null) {
  const port = parentPort;
  let ctx: RunContext = { bases: [], bugs: [], strict: false, coverage: null };
  port.on("message", (m: WorkerRequest) => {
    if (m.type === "init") {
      ctx = { bases: m.bases, bugs: m.bugs, strict: m.strict, coverage: m.coverage ? new Coverage() : null };
    } else if (m.type === "seed") {
      try {
        port.postMessage(runTask(ctx, m));
      } catch (e) {
        port.postMessage(crashReply(m, e));
      }
    } else {
      port.close();
    }
  });
}
