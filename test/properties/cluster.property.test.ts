/**
 * Property tests (fast-check): arbitrary cluster shapes, workloads and fault plans — crashes,
 * restarts, pauses, partitions, leader failovers, executor losses, message drops, delays and
 * duplicates — generated as data and run through the simulator. Safety is checked after every
 * event (the run's checks) and liveness after healing; a failure prints fast-check's seed and
 * path, and the shrunk scenario (fast-check shrinks the data) in the assertion message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPlan } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, type Scenario } from "../../src/sim/scenario.js";

const NUM_RUNS = Number(process.env["FLINT_PROPERTY_RUNS"] ?? 40);

const faultArb = (workers: number, masters: number): fc.Arbitrary<Record<string, unknown>> => {
  const at = fc.integer({ min: 0, max: 60_000 });
  const worker = fc.integer({ min: 1, max: workers }).map((n) => `worker-${n}`);
  const duration = fc.integer({ min: 1, max: 150 }).map((s) => s * 1000);
  const message = fc.constantFrom(
    "RegisterWorker",
    "RegisteredWorker",
    "Heartbeat",
    "RegisterApplication",
    "RegisteredApplication",
    "ExecutorStateChanged",
    "LaunchTask",
    "StatusUpdate",
    "MasterChanged",
    "LaunchedExecutor",
    "ExecutorUpdated",
  );
  const kinds: Array<fc.Arbitrary<Record<string, unknown>>> = [
    fc.record({ atMs: at, kind: fc.constant("crash"), target: worker, restartAfterMs: duration }),
    fc.record({ atMs: at, kind: fc.constant("crash"), target: worker }),
    fc.record({ atMs: at, kind: fc.constant("pause"), target: worker, durationMs: duration }),
    fc.record({ atMs: at, kind: fc.constant("partition"), hosts: worker.map((w) => [w]), durationMs: duration }),
    fc.record({ atMs: at, kind: fc.constant("crash"), target: fc.constant("executor:*") }),
    fc.record({
      atMs: at,
      kind: fc.constant("messages"),
      messageType: message,
      dropProbability: fc.double({ min: 0, max: 1, noNaN: true }),
      durationMs: duration,
    }),
    fc.record({ atMs: at, kind: fc.constant("messages"), messageType: message, delayMs: duration, durationMs: duration }),
    fc.record({
      atMs: at,
      kind: fc.constant("messages"),
      messageType: message,
      duplicateProbability: fc.double({ min: 0, max: 1, noNaN: true }),
      durationMs: duration,
    }),
  ];
  if (masters > 1) {
    kinds.push(fc.record({ atMs: at, kind: fc.constant("crash"), target: fc.constant("leader"), restartAfterMs: duration }));
    kinds.push(fc.record({ atMs: at, kind: fc.constant("pause"), target: fc.constant("leader"), durationMs: duration }));
  }
  return fc.oneof(...kinds);
};

const appArb = (i: number): fc.Arbitrary<Record<string, unknown>> =>
  fc.record({
    name: fc.constant(`app${i}`),
    submitAtMs: fc.integer({ min: 0, max: 5000 }),
    coresPerExecutor: fc.integer({ min: 1, max: 2 }),
    maxCores: fc.integer({ min: 1, max: 8 }),
    jobs: fc
      .tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 100, max: 3000 }), fc.integer({ min: 1, max: 2 }))
      .map(([tasks, durationMs, stages]) => [
        { id: `app${i}-job`, afterMs: 500, stages: Array.from({ length: stages }, () => ({ tasks, durationMs, jitterMs: 200 })) },
      ]),
  });

/** A whole scenario: cluster shape, workload, seed and fault plan. */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    masters: fc.integer({ min: 1, max: 2 }),
    workers: fc.integer({ min: 1, max: 4 }),
    cores: fc.integer({ min: 1, max: 4 }),
    apps: fc.integer({ min: 1, max: 2 }),
    seed: fc.nat({ max: 1_000_000 }),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      apps: fc.tuple(...Array.from({ length: shape.apps }, (_, i) => appArb(i + 1))),
      faults: fc.array(faultArb(shape.workers, shape.masters), { maxLength: 8 }),
    }),
  )
  .map(({ shape, apps, faults }) =>
    parseScenario({
      name: "property",
      comment: "a generated cluster, workload and fault plan",
      seed: shape.seed,
      timeLimitMs: 700_000,
      cluster: {
        masters: shape.masters,
        recoveryMode: shape.masters > 1 ? "zookeeper" : "none",
        sessionTimeoutMs: 15_000,
        workers: [{ count: shape.workers, cores: shape.cores, memoryMb: 8192 }],
      },
      apps,
      faults,
      expect: { allJobsSucceed: false, faultsMustFire: false },
    }),
  );

describe("properties: cluster runs", () => {
  it("property: under any generated fault plan no safety invariant breaks, and every job ends once faults heal", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const outcome = runPlan(scenario, ROLES);
        expect(
          outcome.failure,
          JSON.stringify({
            failure: outcome.failure,
            scenario: { seed: scenario.seed, cluster: scenario.cluster, apps: scenario.apps, faults: scenario.faults },
          }),
        ).toBeNull();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("property: the same generated scenario and seed give the same run", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const a = runPlan(scenario, ROLES);
        const b = runPlan(scenario, ROLES);
        expect([b.events, b.virtualTimeMs, b.failure?.check]).toEqual([a.events, a.virtualTimeMs, a.failure?.check]);
      }),
      { numRuns: 8 },
    );
  });
});
