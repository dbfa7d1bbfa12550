/**
 * A fuzz plan as a scenario: the base with explicit faults, a seed, a time limit long enough to
 * judge liveness, and a liberal expectation (jobs may fail by the retry rules; safety checks and
 * liveness decide whether the run failed).
 */
import { LIVENESS_BOUND_MS, faultEndMs } from "../invariants/liveness.js";
import type { FaultSpec, Scenario } from "../scenario.js";

/** Options a fuzz run adds to the base scenario. */
export interface PlanOptions {
  /** Bug switches to turn on (docs/protocol.md §7, config `bugs`). */
  bugs?: string[];
}

/** The base as a fuzz seed's run: named after the seed, the reason in its comment, the run's bug switches added. */
export function seeded(base: Scenario, seed: number, why: string, options: PlanOptions): Scenario {
  const bugs = [...new Set([...(base.config.bugs ?? []), ...(options.bugs ?? [])])];
  return {
    ...base,
    name: base.name.endsWith(`-seed-${seed}`) ? base.name : `${base.name}-seed-${seed}`,
    comment: `${base.comment.split(" [fuzz:")[0]} [fuzz: ${why}]`,
    seed,
    config: bugs.length > 0 ? { ...base.config, bugs } : { ...base.config },
  };
}

/** The base scenario with these faults, a seed, a time limit long enough to judge liveness, and a liberal expectation. */
export function planScenario(base: Scenario, seed: number, faults: FaultSpec[], why: string, options: PlanOptions = {}): Scenario {
  let healed = 0;
  for (const f of faults) healed = Math.max(healed, faultEndMs(f));
  healed = Math.min(healed, base.timeLimitMs); // a fault that never heals: liveness is not judged, the run keeps its own limit
  return {
    ...seeded(base, seed, why, options),
    timeLimitMs: Math.max(base.timeLimitMs, healed + LIVENESS_BOUND_MS + 60_000),
    faults,
    randomFaults: null,
    expect: { allJobsSucceed: false, jobs: {}, events: [], faultsMustFire: false },
  };
}
