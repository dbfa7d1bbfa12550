/**
 * One fuzz seed: draw the swarm plan for a base scenario and run it. Pure (no I/O), so the CLI can
 * run it in worker threads and tests can run it inline.
 */
import type { RoleSet } from "../cluster.js";
import type { Coverage } from "../coverage.js";
import type { Scenario } from "../scenario.js";
import { drawPlan } from "./plan.js";
import { replayable, runPlan, type PlanOutcome } from "./run.js";

export {
  drawFaultPlan,
  drawPlan,
  drawSwarm,
  FIXED_POINT_CHANCE,
  isFixedPoint,
  planScenario,
  FAULT_KINDS,
  LATER_FAULT_KINDS,
  MAX_LATER_FAULTS,
  MESSAGE_TYPES,
} from "./plan.js";
export {
  drawSwarmPlan,
  drawSwarmWorkload,
  drawSwarmKinds,
  isSwarmBase,
  swarmBase,
  SWARM_BASE_NAME,
  SWARM_FAULT_KINDS,
  SWARM_ACTION_KINDS,
} from "./swarm.js";
export { replayable, runPlan, scenarioJson, type PlanOutcome } from "./run.js";
export { mutatePlan, MUTATIONS } from "./mutate.js";

export interface FuzzSeedOptions {
  bugs?: string[];
  strict?: boolean;
  /** Counts the run's protocol coverage here (reset first); the roles run wrapped (coverage.ts). */
  coverage?: Coverage;
}

export interface FuzzSeedResult {
  seed: number;
  outcome: PlanOutcome;
  /** The plan as a replayable scenario (only for a failing seed). */
  plan: Scenario | null;
}

export function fuzzSeed(base: Scenario, seed: number, roles: RoleSet, options: FuzzSeedOptions = {}): FuzzSeedResult {
  return fuzzPlan(drawPlan(base, seed, options.bugs !== undefined ? { bugs: options.bugs } : {}), roles, options);
}

/** Runs a given plan (a drawn one, or a corpus plan mutated) as fuzzSeed runs a drawn one. */
export function fuzzPlan(plan: Scenario, roles: RoleSet, options: FuzzSeedOptions = {}): FuzzSeedResult {
  options.coverage?.reset();
  const hosted = options.coverage !== undefined ? options.coverage.wrap(roles) : roles;
  const outcome = runPlan(plan, hosted, options.strict !== undefined ? { strict: options.strict } : {});
  return { seed: plan.seed, outcome, plan: outcome.ok ? null : replayable(plan, outcome) };
}

/** Runs seeds from..from+count-1 in order; stops at the first failure when `stopAtFailure`. */
export function fuzzSeeds(
  base: Scenario,
  from: number,
  count: number,
  roles: RoleSet,
  options: FuzzSeedOptions & { stopAtFailure?: boolean } = {},
): { seedsRun: number; failures: FuzzSeedResult[] } {
  const failures: FuzzSeedResult[] = [];
  let seedsRun = 0;
  for (let seed = from; seed < from + count; seed++) {
    const r = fuzzSeed(base, seed, roles, options);
    seedsRun++;
    if (!r.outcome.ok) {
      failures.push(r);
      if (options.stopAtFailure) break;
    }
  }
  return { seedsRun, failures };
}
