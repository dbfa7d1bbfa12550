/**
 * The shrinker (src/sim/shrink): what each pass proposes, that every kind of reduction is taken
 * when the failure survives it, that a scenario with nothing left to remove comes back unchanged,
 * that the run budget and strict mode are honoured, and that the scenario written for the shrunk
 * failure replays the same check under `flint sim`.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "../../src/sim/cluster.js";
import { replayable, runPlan, scenarioJson } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, type Scenario } from "../../src/sim/scenario.js";
import {
  dropFaults,
  dropNodes,
  PASSES,
  shortenFaults,
  shrink,
  shrinkCounts,
  shrinkWork,
  sizeOf,
  smaller,
  type ScenarioSize,
} from "../../src/sim/shrink/index.js";
import { loadScenario } from "./helpers.js";

/**
 * SPARK-41848 (a finished task gives back spark.task.cpus, not the 2 CPUs it took: D2 sees the
 * driver's free cores drift at the first such task; unchecked, the job hangs) padded with everything the shrinker can remove: a second master, a second worker group, a
 * second app and a cluster-mode driver, a second job, a first stage with jitter and failures, and
 * two faults that play no part.
 */
const PADDED = {
  name: "padded-SPARK-41848",
  comment: "SPARK-41848 hangs the job; everything else here is padding for the shrinker to remove",
  seed: 1,
  timeLimitMs: 400_000,
  cluster: {
    masters: 2,
    recoveryMode: "zookeeper",
    sessionTimeoutMs: 15_000,
    workers: [
      { count: 2, cores: 2, memoryMb: 4096 },
      { count: 1, cores: 4, memoryMb: 4096 },
    ],
  },
  config: { bugs: ["SPARK-41848"] },
  apps: [
    {
      name: "pi",
      submitAtMs: 500,
      maxCores: 4,
      coresPerExecutor: 2,
      jobs: [
        {
          id: "pi-1",
          afterMs: 1000,
          stages: [
            { tasks: 8, durationMs: 500, jitterMs: 300, failProbability: 0.05 },
            { tasks: 40, durationMs: 1000, cpusPerTask: 2 },
          ],
        },
        { id: "pi-2", afterMs: 2000, stages: [{ tasks: 4, durationMs: 500 }] },
      ],
    },
    { name: "other", submitAtMs: 800, maxCores: 2, jobs: [{ id: "o-1", afterMs: 500, stages: [{ tasks: 4, durationMs: 500 }] }] },
  ],
  drivers: [
    {
      name: "etl",
      submitAtMs: 1000,
      cores: 1,
      memoryMb: 512,
      supervise: false,
      app: { name: "etl", maxCores: 2, jobs: [{ id: "etl-1", afterMs: 1000, stages: [{ tasks: 4, durationMs: 500 }] }] },
    },
  ],
  faults: [
    { atMs: 5000, kind: "pause", target: "worker-3", durationMs: 8000 },
    { atMs: 20_000, kind: "crash", target: "executor:other" },
  ],
  expect: { allJobsSucceed: true },
};

const padded = (): Scenario => parseScenario(structuredClone(PADDED));

/** A scenario with exactly one of everything and no faults (the shrinker has nothing to propose). */
const BARE = {
  name: "bare",
  comment: "one master, one worker, one app, one job, one stage, one task, no faults",
  seed: 1,
  timeLimitMs: 400_000,
  cluster: { masters: 1, workers: [{ count: 1, cores: 4, memoryMb: 4096 }] },
  apps: [{ name: "pi", submitAtMs: 500, jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 1, durationMs: 1000 }] }] }],
  expect: { allJobsSucceed: true },
};

describe("shrink: the passes", () => {
  it("shrink: dropFaults removes halves, then quarters, ... then single faults", () => {
    const s = parseScenario({ ...BARE, faults: [0, 1, 2, 3].map((i) => ({ atMs: 1000 * (i + 1), kind: "crash", target: "executor:*" })) });
    const times = dropFaults(s).map((c) => c.faults.map((f) => f.atMs));
    expect(times).toEqual([
      [3000, 4000],
      [1000, 2000],
      [2000, 3000, 4000],
      [1000, 3000, 4000],
      [1000, 2000, 4000],
      [1000, 2000, 3000],
    ]);
    expect(s.faults).toHaveLength(4); // variants are copies
    expect(dropFaults(parseScenario(BARE))).toEqual([]);
  });

  it("shrink: shortenFaults halves each duration, restart and message delay of 2 s or more, to whole seconds", () => {
    const s = parseScenario({
      ...BARE,
      faults: [
        { atMs: 0, kind: "pause", target: "worker-1", durationMs: 9000 },
        { atMs: 0, kind: "crash", target: "worker-1", restartAfterMs: 1999 },
        { atMs: 0, kind: "messages", messageType: "Heartbeat", delayMs: 4000, durationMs: 3000 },
      ],
    });
    const changed = shortenFaults(s).map((c) => c.faults.map((f) => [f.durationMs, f.restartAfterMs, f.delayMs]));
    expect(changed).toEqual([
      [
        [5000, undefined, undefined],
        [undefined, 1999, undefined],
        [3000, undefined, 4000],
      ],
      [
        [9000, undefined, undefined],
        [undefined, 1999, undefined],
        [2000, undefined, 4000],
      ],
      [
        [9000, undefined, undefined],
        [undefined, 1999, undefined],
        [3000, undefined, 2000],
      ],
    ]);
  });

  it("shrink: dropNodes removes a worker group, a worker of a group, a master, an app or a driver, keeping one app", () => {
    const s = padded();
    const shapes = dropNodes(s).map(
      (c) =>
        `${c.cluster.masters}m ${c.cluster.workers.map((g) => g.count).join("+")}w ${c.apps.map((a) => a.name).join(",")} ${c.drivers.map((d) => d.name).join(",")}`,
    );
    expect(shapes).toEqual([
      "2m 1w pi,other etl",
      "2m 1+1w pi,other etl",
      "2m 2w pi,other etl",
      "1m 2+1w pi,other etl",
      "2m 2+1w other etl",
      "2m 2+1w pi etl",
      "2m 2+1w pi,other ",
    ]);
    expect(dropNodes(s).find((c) => c.cluster.masters === 1)?.cluster.recoveryMode).toBe("zookeeper");
    expect(dropNodes(parseScenario(BARE))).toEqual([]);
    const lone = parseScenario({ ...BARE, apps: [], drivers: [PADDED.drivers[0]] });
    expect(dropNodes(lone)).toEqual([]);
  });

  it("shrink: shrinkWork removes a job or a stage, halves tasks, and turns jitter and failures off", () => {
    // The second app's jobs come after the first's; a driver's app counts as one more app.
    const s = parseScenario({ ...BARE, apps: [PADDED.apps[0]], drivers: PADDED.drivers });
    const work = shrinkWork(s).map((c) =>
      [...c.apps, ...c.drivers.map((d) => d.app)]
        .flatMap((a) => a.jobs)
        .map((j) => j.stages.map((st) => `${st.tasks}${st.jitterMs > 0 ? "j" : ""}${st.failProbability > 0 ? "f" : ""}`).join("/"))
        .join(" "),
    );
    expect(work).toEqual(["4 4", "40 4 4", "4jf/40 4 4", "8/40 4 4", "8jf 4 4", "8jf/20 4 4", "8jf/40 4", "8jf/40 2 4", "8jf/40 4 2"]);
    expect(s.apps[0]!.jobs[0]!.stages[0]!.jitterMs).toBe(300); // variants are copies
    expect(shrinkWork(parseScenario(BARE))).toEqual([]);
  });

  it("shrink: smaller orders by faults, then nodes, then tasks, then events", () => {
    const z = (faults: number, nodes: number, tasks: number, events: number): ScenarioSize => ({ faults, nodes, tasks, events });
    expect(smaller(z(1, 9, 9, 9), z(2, 1, 1, 1))).toBe(true);
    expect(smaller(z(2, 1, 1, 1), z(1, 9, 9, 9))).toBe(false);
    expect(smaller(z(1, 2, 9, 9), z(1, 3, 1, 1))).toBe(true);
    expect(smaller(z(1, 2, 3, 9), z(1, 2, 4, 1))).toBe(true);
    expect(smaller(z(1, 2, 3, 4), z(1, 2, 3, 5))).toBe(true);
    expect(smaller(z(1, 2, 3, 5), z(1, 2, 3, 5))).toBe(false);
    expect(sizeOf(padded(), 7)).toEqual({ faults: 2, nodes: 2 + 3 + 2 + 1, tasks: 8 + 40 + 4 + 4 + 4, events: 7 });
    expect(PASSES).toEqual([dropFaults, dropNodes, shrinkWork, shortenFaults, shrinkCounts]);
  });
});

describe("shrink: whole runs", () => {
  it("shrink: a padded failure loses every kind of padding and still fails the same check", () => {
    const before = padded();
    expect(runPlan(before, ROLES).failure?.check).toBe("D2:free-cores-conserved");
    const steps: ScenarioSize[] = [];
    const r = shrink(before, ROLES, { progress: (size) => steps.push(size) });
    expect(r.check).toBe("D2:free-cores-conserved");
    expect(r.before).toMatchObject({ faults: 2, nodes: 8, tasks: 60 });
    const s = r.scenario;
    expect(s.faults).toEqual([]);
    expect(s.cluster.masters).toBe(1);
    expect(s.cluster.workers.reduce((n, g) => n + g.count, 0)).toBe(1);
    expect(s.drivers).toEqual([]);
    expect(s.apps.map((a) => a.name)).toEqual(["pi"]);
    expect(s.apps[0]!.jobs.map((j) => j.id)).toEqual(["pi-1"]);
    expect(s.apps[0]!.jobs[0]!.stages).toEqual([expect.objectContaining({ cpusPerTask: 2, jitterMs: 0, failProbability: 0 })]);
    expect(r.after).toEqual(sizeOf(s, r.outcome.events));
    expect(r.after.tasks).toBeLessThan(40);
    // Every accepted step was smaller than the one before.
    for (let i = 1; i < steps.length; i++) expect(smaller(steps[i]!, steps[i - 1]!)).toBe(true);
    expect(steps.at(-1)).toEqual(r.after);
    expect(r.runs).toBeGreaterThan(steps.length);
    expect(before).toEqual(padded()); // the input is left alone
  });

  it("shrink: the scenario written for the shrunk failure replays the same check, under flint sim too", () => {
    const r = shrink(padded(), ROLES);
    const written = parseScenario(JSON.parse(scenarioJson(replayable({ ...r.scenario, name: "padded-min" }, r.outcome))));
    expect(written.comment).toContain("fails D2:free-cores-conserved");
    // A safety check's failure replays by the check alone (no job outcome is asked for).
    expect(written.expect.jobs).toEqual({});
    const again = runPlan(written, ROLES);
    expect(again.failure?.check).toBe(r.check);
    expect(again.events).toBe(r.outcome.events);
    const sim = runScenario(written, ROLES);
    expect(sim.verdict.ok).toBe(false);
    expect(sim.verdict.reasons).toEqual([expect.stringMatching(/check violations \(first: D2:free-cores-conserved/)]);
  });

  it("shrink: a failure with nothing left to remove comes back as it was", () => {
    // A shrunk failure is a fixed point: every variant of it was tried and none fails the same way.
    const first = shrink(padded(), ROLES);
    const second = shrink(first.scenario, ROLES);
    expect(second.scenario).toEqual(first.scenario);
    expect(second.before).toEqual(first.after);
    expect(second.after).toEqual(first.after);
    const proposed = PASSES.reduce((n, pass) => n + pass(first.scenario).length, 0);
    expect(second.runs).toBe(1 + proposed);
    // A scenario with one of everything and no faults: nothing to propose, one run. (SPARK-27510:
    // the worker reports the executor RUNNING before its process exists; here it never starts.)
    const bare = parseScenario({
      ...BARE,
      config: { bugs: ["SPARK-27510"] },
      apps: [{ ...BARE.apps[0], executorLaunchError: 'Cannot run program "java"' }],
    });
    const r = shrink(bare, ROLES);
    expect(r.runs).toBe(1);
    expect(r.scenario).toEqual(bare);
    expect(r.after).toEqual(r.before);
  });

  it("shrink: stops at the run budget with the best failure found so far", () => {
    const r = shrink(padded(), ROLES, { maxRuns: 3 });
    expect(r.runs).toBe(3);
    expect(smaller(r.after, r.before)).toBe(true);
    expect(runPlan(r.scenario, ROLES).failure?.check).toBe(r.check);
  });

  it("shrink: refuses a scenario that does not fail; strict mode shrinks a documented-weakness hit", () => {
    expect(() => shrink(loadScenario("lost-tasks.json"), ROLES)).toThrow(/lost-tasks \(seed \d+\) does not fail: nothing to shrink/);
    // The only master is paused past its ZooKeeper session and acts as leader once more on resuming (§3.5.1).
    const noFencing = parseScenario({
      ...BARE,
      name: "no-fencing",
      seed: 22,
      cluster: { masters: 1, recoveryMode: "zookeeper", sessionTimeoutMs: 15_000, workers: [{ count: 2, cores: 4, memoryMb: 8192 }] },
      apps: [
        {
          name: "etl",
          submitAtMs: 70_000,
          maxCores: 8,
          coresPerExecutor: 2,
          jobs: [{ id: "etl-1", afterMs: 1000, stages: [{ tasks: 1, durationMs: 300, jitterMs: 200 }] }],
        },
      ],
      faults: [{ atMs: 65_981, kind: "pause", target: "leader", durationMs: 23_000 }],
    });
    const plain = runPlan(noFencing, ROLES);
    expect(plain.ok).toBe(true);
    expect(plain.firstWeakness?.weakness).toMatch(/^§3\.5\.1 /);
    expect(() => shrink(noFencing, ROLES)).toThrow(/does not fail/);
    const r = shrink(noFencing, ROLES, { strict: true });
    expect(r.check).toMatch(/^I7:/);
    expect(r.after.nodes).toBeLessThan(r.before.nodes);
    expect(runPlan(r.scenario, ROLES, { strict: true }).failure?.check).toBe(r.check);
  });
});
