/**
 * Runs one plan and judges it: the first safety violation (checked after every step), a liveness
 * stall at the end, or an exception thrown by a reducer or the world. Also turns a failing plan
 * into a replayable scenario file whose expectation fails the same way under `flint sim`.
 */
import { ClusterRun, type RoleSet } from "../cluster.js";
import { judgeLiveness, type LivenessUnjudged } from "../invariants/liveness.js";
import type { Violation } from "../invariants/report.js";
import type { Scenario } from "../scenario.js";

export interface PlanOutcome {
  ok: boolean;
  /** The first failure: a safety violation, L1 for a liveness stall, or "X1:exception". */
  failure: Violation | null;
  events: number;
  steps: number;
  virtualTimeMs: number;
  jobs: Record<string, { app: string; state: string }>;
  /** Violations explained by a documented Spark weakness (docs/protocol.md §3.5): recorded, not failures unless strict. */
  weaknesses: number;
  firstWeakness: Violation | null;
  /** Null when liveness was judged (or every job ended); else the named reason a job was not judged. */
  livenessUnjudged: LivenessUnjudged | null;
  /**
   * The documented weaknesses the run hit, each once, in order of first hit (from the hits the
   * checks keep, MAX_VIOLATIONS, and a liveness stall Spark is known to have).
   */
  weaknessNames: string[];
}

export interface RunPlanOptions {
  /** Count documented Spark weaknesses as failures too. */
  strict?: boolean;
}

/** Events a fuzz run may take before it is called a livelock. */
export const MAX_EVENTS = 5_000_000;

export function runPlan(plan: Scenario, roles: RoleSet, options: RunPlanOptions = {}): PlanOutcome {
  const run = new ClusterRun(plan, roles, { seed: plan.seed, timelineLimit: 0, maxEvents: MAX_EVENTS });
  let failure: Violation | null = null;
  let expectationFailure: Violation | null = null;
  try {
    const result = run.run();
    // A plan's own expectations: liberal for a drawn fault plan, the scenario's own for a fixed point (plan.ts).
    if (!result.verdict.ok)
      expectationFailure = {
        check: "E1:scenario-expectation",
        timeMs: run.world.now,
        step: -1,
        node: "",
        nodes: [],
        detail: result.verdict.reasons.join("; "),
      };
    // The whole-state checks once more at the end: a break since the last periodic scan shows too.
    if (run.checks.violationCount === 0) run.checks.scanAll(run.world.nodes, run.world.now);
  } catch (e) {
    failure = {
      check: "X1:exception",
      timeMs: run.world.now,
      step: run.world.counts.steps,
      node: "",
      nodes: [],
      detail: String((e as Error).message ?? e).split("\n")[0]!,
    };
  }
  if (failure === null && run.checks.violationCount > 0) failure = run.checks.violations[0]!;
  if (failure === null && options.strict === true && run.checks.weaknesses[0] !== undefined) failure = run.checks.weaknesses[0];
  const weaknesses = run.checks.weaknessCount;
  const firstWeakness = run.checks.weaknesses[0] ?? null;
  let livenessUnjudged: LivenessUnjudged | null = null;
  if (failure === null) {
    // A hang is never excused as a weakness: a stall fails the run.
    const verdict = judgeLiveness({ scenario: plan, nodes: run.world.nodes, nowMs: run.world.now, jobs: run.jobs });
    failure = verdict.stall;
    livenessUnjudged = verdict.unjudged;
  }
  // The broken expectation last: a safety or liveness failure says more about the same run.
  if (failure === null) failure = expectationFailure;
  const weaknessNames: string[] = [];
  for (const v of run.checks.weaknesses)
    if (v.weakness !== undefined && !weaknessNames.includes(v.weakness)) weaknessNames.push(v.weakness);
  const c = run.world.counts;
  return {
    ok: failure === null,
    failure,
    events: c.events,
    steps: c.steps,
    virtualTimeMs: run.world.now,
    jobs: run.jobs,
    weaknesses,
    firstWeakness,
    livenessUnjudged,
    weaknessNames,
  };
}

/**
 * The plan as a scenario file that fails under `flint sim` the same way: a safety violation fails
 * any run; for a stall, every job must end as it did (failed ones failed, the rest succeeded).
 */
export function replayable(plan: Scenario, outcome: PlanOutcome): Scenario {
  const jobs: Scenario["expect"]["jobs"] = {};
  if (outcome.failure?.check.startsWith("L1") === true)
    for (const [id, j] of Object.entries(outcome.jobs)) jobs[id] = { state: j.state === "failed" ? "failed" : "succeeded" };
  const why = outcome.failure === null ? "passes" : `fails ${outcome.failure.check}: ${outcome.failure.detail}`;
  return {
    ...plan,
    comment: `${plan.comment.split(" | ")[0]} | ${why}`.slice(0, 2000),
    expect: { ...plan.expect, allJobsSucceed: false, jobs },
  };
}

/** A scenario as the JSON a scenario file holds (only the fields parseScenario reads, defaults kept explicit). */
export function scenarioJson(s: Scenario): string {
  const out: Record<string, unknown> = { ...s };
  if (s.randomFaults === null) delete out["randomFaults"];
  return JSON.stringify(out, null, 2) + "\n";
}
