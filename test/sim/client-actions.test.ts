/**
 * The user's client actions on cluster-mode drivers (killDriver, driverStatus), the size limits a
 * stage's results or tasks can outgrow, and the swarm draws that reach them (master limits, size
 * limits, duplicated and late executor reports): they parse, take effect, are judged, and turn up
 * in some seeds.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "../../src/sim/cluster.js";
import { drawPlan, swarmBase } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, ScenarioError, type Scenario } from "../../src/sim/scenario.js";
import { dropNodes, loadable } from "../../src/sim/shrink/index.js";
import type { TraceRecord } from "../../src/sim/trace.js";

/** One worker that holds one cluster-mode driver and its executor, a second driver that waits (no room), and the given faults. */
function withDrivers(faults: unknown[]): Scenario {
  const app = (name: string) => ({ name, jobs: [{ id: `${name}-1`, afterMs: 1000, stages: [{ tasks: 4, durationMs: 30_000 }] }] });
  return parseScenario({
    name: "client-actions",
    comment: "the user asks the masters about cluster-mode drivers",
    seed: 7,
    timeLimitMs: 200_000,
    cluster: { masters: 1, workers: [{ count: 1, cores: 3, memoryMb: 4096 }] },
    drivers: [
      { name: "first", submitAtMs: 0, cores: 1, memoryMb: 1024, app: { ...app("first"), memoryPerExecutorMb: 1024 } },
      { name: "second", submitAtMs: 2000, cores: 1, memoryMb: 4096, app: app("second") },
    ],
    faults,
    expect: { allJobsSucceed: false, faultsMustFire: false },
  });
}

function masterSteps(s: Scenario): { records: TraceRecord[]; result: ReturnType<typeof runScenario> } {
  const records: TraceRecord[] = [];
  const result = runScenario(s, ROLES, { recordSink: (r) => (r.node === "master-1" ? records.push(r) : 0) });
  return { records, result };
}

const answers = (records: TraceRecord[], type: string) =>
  records
    .flatMap((r) => r.effects)
    .flatMap((e) => (e.type === "send" && e.message.type === type ? [e.message as unknown as Record<string, unknown>] : []));

describe("client actions: killDriver and driverStatus", () => {
  it("parse: each shape parses; an unknown driver or a missing field is named", () => {
    expect(withDrivers([{ atMs: 1, kind: "driverStatus", driver: "first" }]).faults).toEqual([
      { atMs: 1, kind: "driverStatus", driver: "first" },
    ]);
    expect(() => withDrivers([{ atMs: 1, kind: "killDriver", driver: "frist" }])).toThrow(
      /faults\[0\]\.driver: cluster-mode driver "frist" is not in the scenario \(did you mean "first"\?\)/,
    );
    expect(() => withDrivers([{ atMs: 1, kind: "killDriver" }])).toThrow(ScenarioError);
    expect(() => withDrivers([{ atMs: 1, kind: "driverStatus", driver: "first", app: "first" }])).toThrow(/app/);
  });

  it("the masters answer: a status before submission finds nothing, after it the state; a kill of the waiting driver removes it KILLED, of the placed one goes to its worker", () => {
    const { records, result } = masterSteps(
      withDrivers([
        { atMs: 0, kind: "driverStatus", driver: "second" },
        { atMs: 10_000, kind: "driverStatus", driver: "first" },
        { atMs: 11_000, kind: "killDriver", driver: "second" },
        { atMs: 12_000, kind: "killDriver", driver: "second" },
        { atMs: 13_000, kind: "killDriver", driver: "first" },
        { atMs: 30_000, kind: "driverStatus", driver: "first" },
      ]),
    );
    expect(result.violations).toEqual([]);
    expect(result.faults.map((f) => [f.kind, f.fired])).toEqual([
      ["driverStatus", true],
      ["driverStatus", true],
      ["killDriver", true],
      ["killDriver", true],
      ["killDriver", true],
      ["driverStatus", true],
    ]);
    const status = answers(records, "DriverStatusResponse");
    expect(status.map((m) => [m["found"], m["state"]])).toEqual([
      [false, undefined],
      [true, "RUNNING"],
      [true, "KILLED"],
    ]);
    expect(answers(records, "KillDriverResponse").map((m) => m["success"])).toEqual([true, false, true]);
    expect(answers(records, "KillDriver")).toHaveLength(1);
  });
});

describe("client actions and the shrinker", () => {
  it("a variant without a cluster-mode driver drops the user's questions about it, and loads", () => {
    const s = withDrivers([
      { atMs: 1, kind: "driverStatus", driver: "first" },
      { atMs: 2, kind: "killDriver", driver: "second" },
    ]);
    const without = dropNodes(s).filter((c) => c.drivers.length === 1);
    expect(without).toHaveLength(2);
    for (const c of without) {
      expect(c.faults.map((f) => f.driver)).toEqual([c.drivers[0]!.name]);
      expect(loadable(c)).toBe(true);
    }
  });
});

describe("size limits: a stage whose results or tasks outgrow the driver's limits fails its job, and the checks accept it", () => {
  /** One app with two jobs; the first job's stage outgrows the limit under test. */
  const sized = (config: Record<string, number>, stage: Record<string, number>): Scenario =>
    parseScenario({
      name: "sizes",
      comment: "size limits",
      seed: 2,
      timeLimitMs: 200_000,
      cluster: { masters: 1, workers: [{ count: 1, cores: 4, memoryMb: 8192 }] },
      config,
      apps: [
        {
          name: "a",
          jobs: [
            { id: "big", afterMs: 1000, stages: [{ tasks: 8, durationMs: 500, ...stage }] },
            { id: "small", afterMs: 20_000, stages: [{ tasks: 8, durationMs: 500 }] },
          ],
        },
      ],
      expect: { jobs: { big: "failed", small: "succeeded" } },
    });

  it("maxResultSizeBytes: the results of the first stage add up past it: that job fails (C3 holds it justified), the next succeeds", () => {
    const r = runScenario(sized({ maxResultSizeBytes: 3000 }, { resultSizeBytes: 1000 }), ROLES, { timelineLimit: 0 });
    expect(r.violations).toEqual([]);
    expect(r.jobs["big"]).toMatchObject({ state: "failed", reason: expect.stringContaining("spark.driver.maxResultSize") });
    expect(r.jobs["small"]!.state).toBe("succeeded");
  });

  it("maxMessageSizeBytes: a task at least that big aborts its stage (here in the submitting step, a command C3 does not judge); the next job succeeds", () => {
    const r = runScenario(sized({ maxMessageSizeBytes: 4096 }, { payloadSizeBytes: 4096 }), ROLES, { timelineLimit: 0 });
    expect(r.violations).toEqual([]);
    expect(r.jobs["big"]).toMatchObject({ state: "failed", reason: expect.stringContaining("spark.rpc.message.maxSize") });
    expect(r.jobs["small"]!.state).toBe("succeeded");
  });
});

describe("swarm: the draws that reach the master's limits, the size limits, late reports and client actions", () => {
  it("over 200 seeds each draw turns up in some seeds and not in most", () => {
    const count = {
      maxWorkers: 0,
      maxApplications: 0,
      maxDrivers: 0,
      maxResultSizeBytes: 0,
      maxMessageSizeBytes: 0,
      executorLaunchTimeoutMs: 0,
    };
    const kinds = { killDriver: 0, driverStatus: 0, duplicated: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const plan = drawPlan(swarmBase(), seed);
      for (const k of Object.keys(count) as Array<keyof typeof count>) if (plan.config[k] !== undefined) count[k]++;
      for (const f of plan.faults) {
        if (f.kind === "killDriver") kinds.killDriver++;
        if (f.kind === "driverStatus") kinds.driverStatus++;
        if (f.kind === "messages" && f.messageType === "ExecutorStateChanged" && f.duplicateProbability !== undefined) kinds.duplicated++;
        if (f.kind === "killDriver" || f.kind === "driverStatus") expect(plan.drivers.map((d) => d.name)).toContain(f.driver);
      }
    }
    for (const [k, n] of Object.entries({ ...count, ...kinds })) {
      expect(n, k).toBeGreaterThan(3);
      if (k in count) expect(n, k).toBeLessThan(60);
    }
  });
});
