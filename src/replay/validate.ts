/**
 * `--validate`: a running node checks its own invariants after every step, in process (as Dask's
 * validate=True does), with the simulator's checks (src/sim/checks.ts) on a one-node world: the
 * checks that need only this node's state, input and effects. The first violation is logged at
 * ERROR with the step that caused it; checking then stops (one report, no flood), the node goes on.
 */
import type { Effect, Input } from "../protocol/io.js";
import { Checks } from "../sim/checks.js";
import type { Election } from "../sim/election.js";
import type { SimNode } from "../sim/world.js";

/** What a validator reports through (a real node's logger). */
export interface ValidationLog {
  log(level: "info" | "error", event: string, fields: Record<string, unknown>): void;
}

export type StepValidator = (step: number, input: Input | null, effects: readonly Effect[], now: number, state: unknown) => void;

/** A validator for the node `name` of role `role`; plug it into the host's `afterStep`. */
export function nodeValidator(role: "master" | "worker" | "driver" | "executor", name: string, logger: ValidationLog): StepValidator {
  const node = { key: 0, name, kind: role, state: null, alive: true, paused: false, incarnation: 0, labels: {} } as unknown as SimNode;
  let leading = false;
  // Leadership as the node itself was told it (a real master is fenced by its election before each step).
  const election = { isLeader: () => leading } as unknown as Election;
  const counts = { steps: 0 };
  const checks = new Checks(election, { counts, byName: new Map([[name, node]]), epochMs: 0 });
  let reported = false;
  logger.log("info", "validate-on", { role, node: name, why: "--validate: the node's own invariants are checked after every step" });
  return (step, input, effects, now, state) => {
    if (reported) return;
    if (input?.type === "leaderElected") leading = true;
    if (input?.type === "leadershipRevoked") leading = false;
    node.state = state;
    counts.steps++;
    checks.afterStep({ node, input, effects, sender: null, targets: null, inputLink: null, links: null, inputStamp: 0 }, now);
    if (checks.violationCount === 0) return;
    reported = true;
    const v = checks.violations[0]!;
    logger.log("error", "invariant-violated", {
      check: v.check,
      step,
      input: input === null ? "init" : input.type,
      detail: v.detail,
      nodes: v.nodes,
    });
  };
}
