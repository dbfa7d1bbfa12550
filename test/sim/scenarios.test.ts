import { describe, expect, it } from "vitest";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { loadScenario, scenarioFiles } from "./helpers.js";

const SEEDS = [1, 2, 3, 4];
const REQUIRED = [
  "master-failover",
  "lost-tasks",
  "registration-retries",
  "heartbeat-timeout",
  "worker-gives-up",
  "executor-crash-loop",
  "supervised-driver-relaunch",
  "zombie-worker",
  "task-retry-abort",
  "partition-heal",
  "big-cluster",
];

describe("sim scenarios", () => {
  it("scenarios: every scenario the issue lists is shipped, with a comment saying why", () => {
    const names = scenarioFiles().map((f) => loadScenario(f).name);
    for (const name of REQUIRED) expect(names).toContain(name);
    for (const f of scenarioFiles()) expect(loadScenario(f).comment.length).toBeGreaterThan(20);
  });

  for (const file of scenarioFiles().filter((f) => f !== "big-cluster.json")) {
    it(`scenarios: ${file} meets its expectation with seeds ${SEEDS.join(", ")}`, () => {
      const scenario = loadScenario(file);
      for (const seed of SEEDS) {
        const result = runScenario(scenario, ROLES, { seed });
        expect({ seed, reasons: result.verdict.reasons }).toEqual({ seed, reasons: [] });
        expect(result.violationCount).toBe(0);
        expect(result.faults.every((f) => f.fired)).toBe(true);
      }
    });
  }

  it("scenarios: big-cluster (1,000 workers, 100,000 tasks, a failover) meets its expectation", () => {
    const result = runScenario(loadScenario("big-cluster.json"), ROLES, { seed: 1 });
    expect(result.verdict.reasons).toEqual([]);
    expect(Object.values(result.jobs).every((j) => j.state === "succeeded")).toBe(true);
    expect(result.election.some((e) => e.what === "elected" && e.master === "master-2")).toBe(true);
  });

  it("scenarios: worker-gives-up: the worker exits at 6 initial + 11 prolonged intervals after it starts", () => {
    const result = runScenario(loadScenario("worker-gives-up.json"), ROLES, { seed: 7 });
    expect(result.verdict.ok).toBe(true);
    const worker = result.nodes["worker-1"]!;
    expect(worker).toMatchObject({ alive: false, exitCode: 1 });
    // Between 6 x 5 s + 11 x 30 s and 6 x 15 s + 11 x 90 s (docs/protocol.md §2.2).
    expect(result.virtualTimeMs - 1000).toBeGreaterThanOrEqual(360_000);
    expect(result.virtualTimeMs - 1000).toBeLessThanOrEqual(1_080_000);
  });

  it("scenarios: a fault that finds no target is reported as not taking effect and fails the verdict", () => {
    const scenario = loadScenario("lost-tasks.json");
    scenario.faults = [{ atMs: 1000, kind: "crash", target: "worker-99" }];
    const result = runScenario(scenario, ROLES, { seed: 1 });
    expect(result.faults[0]).toMatchObject({ fired: false });
    expect(result.verdict.ok).toBe(false);
    expect(result.verdict.reasons.join("\n")).toContain("never took effect");
  });

  it("scenarios: an unmet expectation fails the verdict with a reason", () => {
    const scenario = loadScenario("task-retry-abort.json");
    scenario.expect.jobs["doomed"] = { state: "succeeded" };
    const result = runScenario(scenario, ROLES, { seed: 1 });
    expect(result.verdict.ok).toBe(false);
    expect(result.verdict.reasons[0]).toMatch(/^job doomed: expected succeeded, was failed/);
  });
});

describe("sim faults and election", () => {
  it("election: while the store (ZooKeeper) is down nobody is elected; the standby takes over once it is back", () => {
    const scenario = loadScenario("master-failover.json");
    scenario.faults.push({ atMs: 20_000, kind: "storeDown", durationMs: 20_000 });
    const result = runScenario(scenario, ROLES, { seed: 1 });
    const elected = result.election.filter((e) => e.what === "elected" && e.master === "master-2");
    expect(elected[0]!.timeMs).toBe(40_000);
    expect(result.verdict.reasons).toEqual([]);
  });

  it("election: a leader paused past its session timeout loses leadership while alive and hears leadershipRevoked on resume", () => {
    const scenario = loadScenario("master-failover.json");
    scenario.faults = [{ atMs: 10_000, kind: "pause", target: "leader", durationMs: 30_000 }];
    scenario.expect.events = [
      { node: "master-2", input: "leaderElected", minCount: 1, absent: false, afterMs: 25_000 },
      { node: "master-1", input: "leadershipRevoked", minCount: 1, absent: false, afterMs: 40_000 },
    ];
    const result = runScenario(scenario, ROLES, { seed: 1 });
    expect(result.election.map((e) => `${e.what}:${e.master}`)).toEqual([
      "elected:master-1",
      "sessionExpired:master-1",
      "revoked:master-1",
      "elected:master-2",
    ]);
    expect(result.verdict.reasons).toEqual([]);
    expect(result.nodes["master-1"]!.alive).toBe(false);
  });

  it("election: a standby paused past its session timeout opens a new session on resume and is elected once the leader is gone (swarm seed 667)", () => {
    const scenario = loadScenario("master-failover.json");
    scenario.faults = [
      { atMs: 5_000, kind: "pause", target: "master-2", durationMs: 30_000 },
      { atMs: 50_000, kind: "crash", target: "leader" },
    ];
    scenario.expect.events = [{ node: "master-2", input: "leaderElected", minCount: 1, absent: false, afterMs: 50_000 }];
    const result = runScenario(scenario, ROLES, { seed: 1 });
    expect(result.election.map((e) => `${e.what}:${e.master}`)).toEqual([
      "elected:master-1",
      "sessionExpired:master-2",
      "sessionExpired:master-1",
      "elected:master-2",
    ]);
    expect(result.nodes["master-2"]!.alive).toBe(true);
    expect(result.verdict.reasons).toEqual([]);
  });

  it("faults: random faults are drawn from the seed: the same seed draws the same plan", () => {
    const scenario = loadScenario("lost-tasks.json");
    scenario.faults = [];
    scenario.randomFaults = { fromMs: 2_000, untilMs: 20_000, perMinute: 12, kinds: ["crashExecutor", "pauseWorker"], durationMs: 5_000 };
    const a = runScenario(scenario, ROLES, { seed: 3 });
    const b = runScenario(scenario, ROLES, { seed: 3 });
    expect(a.faults.length).toBeGreaterThan(0);
    expect(a.faults.every((f) => f.random)).toBe(true);
    expect(b.faults).toEqual(a.faults);
    expect(b.traceHash).toBe(a.traceHash);
  });

  it("faults: duplicated and delayed messages keep FIFO per pair and the run still succeeds", () => {
    const scenario = loadScenario("lost-tasks.json");
    scenario.faults = [
      { atMs: 0, kind: "messages", messageType: "Heartbeat", duplicateProbability: 0.5, durationMs: 60_000 },
      { atMs: 0, kind: "messages", messageType: "RegisterExecutor", delayMs: 3_000 },
    ];
    scenario.expect.events = [];
    const result = runScenario(scenario, ROLES, { seed: 2 });
    expect(result.faults.every((f) => f.fired)).toBe(true);
    expect(result.verdict.reasons).toEqual([]);
  });
});
