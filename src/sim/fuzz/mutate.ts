/**
 * Mutations of a corpus plan (a plan that reached protocol coverage no earlier run had): a few
 * small edits of its explicit fault list or of its run seed, so the fuzzer explores around what
 * already reached new ground instead of only drawing fresh plans. Pure and seeded: the same
 * parent and mutation seed give the same mutant.
 */
import { stream, type Stream } from "../rng.js";
import type { FaultSpec, Scenario } from "../scenario.js";
import { drawPlan, planScenario, type PlanOptions } from "./plan.js";

export const MUTATIONS = ["shift", "remove", "add", "stretch", "reseed"] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** At most this many edits stacked in one mutant. */
export const MAX_EDITS = 3;
/** A shifted fault moves by up to this much either way. */
export const MAX_SHIFT_MS = 20_000;
/** The run seeds a reseed draws from (kept clear of the small seeds fresh runs use). */
const RESEED_BASE = 1_000_000;

function edit(kind: Mutation, faults: FaultSpec[], base: Scenario, seed: { value: number }, r: Stream, options: PlanOptions): string {
  const drawn = faults.length - base.faults.length; // the base's own faults stay: they are the scenario's story
  const pick = (): number => base.faults.length + r.int(0, drawn - 1);
  switch (kind) {
    case "shift": {
      if (drawn === 0) return "";
      const i = pick();
      faults[i] = { ...faults[i]!, atMs: Math.max(0, faults[i]!.atMs + r.int(-MAX_SHIFT_MS, MAX_SHIFT_MS)) };
      return `shift #${i}`;
    }
    case "remove": {
      if (drawn === 0) return "";
      const i = pick();
      faults.splice(i, 1);
      return `remove #${i}`;
    }
    case "add": {
      const donorSeed = RESEED_BASE + r.int(0, 1_000_000);
      const donor = drawPlan(base, donorSeed, options).faults.slice(base.faults.length);
      if (donor.length === 0) return "";
      faults.push({ ...donor[r.int(0, donor.length - 1)]! });
      return `add from ${donorSeed}`;
    }
    case "stretch": {
      if (drawn === 0) return "";
      const i = pick();
      const f = faults[i]!;
      const key = f.durationMs !== undefined ? "durationMs" : f.restartAfterMs !== undefined ? "restartAfterMs" : null;
      if (key === null) return "";
      const factor = r.chance(0.5) ? 2 : 0.5;
      faults[i] = { ...f, [key]: Math.max(1, Math.round(f[key]! * factor)) };
      return `stretch #${i} x${factor}`;
    }
    case "reseed":
      seed.value = RESEED_BASE + r.int(0, 1_000_000);
      return `reseed ${seed.value}`;
  }
}

/** A mutant of `parent` (a plan drawn from `base`): 1 to MAX_EDITS edits drawn from `mutationSeed`. */
export function mutatePlan(base: Scenario, parent: Scenario, mutationSeed: number, options: PlanOptions = {}): Scenario {
  const r = stream(mutationSeed, "mutate");
  const faults = parent.faults.map((f) => ({ ...f }));
  const seed = { value: parent.seed };
  const done: string[] = [];
  for (let n = r.int(1, MAX_EDITS); n > 0; n--) {
    const what = edit(MUTATIONS[r.int(0, MUTATIONS.length - 1)]!, faults, base, seed, r, options);
    if (what !== "") done.push(what);
  }
  if (done.length === 0) {
    seed.value = RESEED_BASE + r.int(0, 1_000_000); // every mutant differs from its parent
    done.push(`reseed ${seed.value}`);
  }
  const why = `mutant of ${parent.name} (${done.join(", ")})`;
  return planScenario({ ...base, name: base.name }, seed.value, faults, why, options);
}
