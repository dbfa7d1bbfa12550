import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioError } from "../../src/sim/scenario.js";
import { loadScenario } from "./helpers.js";

const minimal = () => ({
  name: "x",
  comment: "a test scenario",
  timeLimitMs: 1000,
  cluster: { masters: 1, workers: [{ count: 1, cores: 2, memoryMb: 1024 }] },
});

function errorOf(v: unknown): ScenarioError {
  try {
    parseScenario(v);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

describe("sim scenario validation", () => {
  it("validation: a minimal scenario gets its defaults", () => {
    const s = parseScenario(minimal());
    expect(s).toMatchObject({ seed: 1, stopWhenDone: true, apps: [], drivers: [], faults: [], randomFaults: null });
    expect(s.cluster).toMatchObject({ recoveryMode: "none", sessionTimeoutMs: 60_000, latencyMs: [1, 3], launchDelayMs: [50, 150] });
    expect(s.expect).toEqual({ allJobsSucceed: true, jobs: {}, events: [], faultsMustFire: true });
  });

  it("validation: the error names the path of a bad field", () => {
    const bad = { ...minimal(), cluster: { masters: 1, workers: [{ count: 1, cores: "four", memoryMb: 1024 }] } };
    const e = errorOf(bad);
    expect(e.path).toBe("cluster.workers[0].cores");
    expect(e.message).toContain('must be a number (got "four")');
  });

  it("validation: a missing required field is named", () => {
    const { timeLimitMs: _, ...rest } = minimal();
    expect(errorOf(rest).path).toBe("scenario.timeLimitMs");
    expect(errorOf({ ...minimal(), cluster: undefined }).message).toContain("cluster: must be an object");
  });

  it("validation: an unknown field (a typo) is rejected with the known ones listed", () => {
    const e = errorOf({ ...minimal(), apps: [{ name: "a", jobz: [] }] });
    expect(e.path).toBe("apps[0].jobz");
    expect(e.message).toContain("unknown field");
  });

  it("validation: deep paths: a stage of a job of an app", () => {
    const e = errorOf({ ...minimal(), apps: [{ name: "a", jobs: [{ id: "j", stages: [{ tasks: 0, durationMs: 1 }] }] }] });
    expect(e.path).toBe("apps[0].jobs[0].stages[0].tasks");
    expect(e.message).toContain("at least 1");
  });

  it("validation: faults: unknown kind, missing target, missing partition hosts", () => {
    expect(errorOf({ ...minimal(), faults: [{ atMs: 1, kind: "explode" }] }).path).toBe("faults[0].kind");
    expect(errorOf({ ...minimal(), faults: [{ atMs: 1, kind: "crash" }] }).path).toBe("faults[0].target");
    expect(errorOf({ ...minimal(), faults: [{ atMs: 1, kind: "partition" }] }).path).toBe("faults[0].hosts");
    expect(errorOf({ ...minimal(), faults: [{ atMs: 1, kind: "pause", target: "worker-1" }] }).path).toBe("faults[0].durationMs");
  });

  it("validation: config overrides are checked against ProtocolConfig", () => {
    expect(errorOf({ ...minimal(), config: { workerTimeoutMss: 5 } }).path).toBe("config.workerTimeoutMss");
    expect(errorOf({ ...minimal(), config: { workerTimeoutMs: -5 } }).message).toContain("workerTimeoutMs must not be negative");
    expect(parseScenario({ ...minimal(), config: { workerTimeoutMs: 5000 } }).config).toEqual({ workerTimeoutMs: 5000 });
  });

  it("validation: duplicate job ids and expectations about unknown jobs are rejected", () => {
    const app = (name: string) => ({ name, jobs: [{ id: "j", stages: [{ tasks: 1, durationMs: 1 }] }] });
    expect(errorOf({ ...minimal(), apps: [app("a"), app("b")] }).path).toBe("apps[1].jobs[0].id");
    expect(errorOf({ ...minimal(), expect: { jobs: { nope: "failed" } } }).path).toBe("expect.jobs.nope");
    expect(errorOf({ ...minimal(), expect: { jobs: { nope: "maybe" } } }).message).toBe(
      `expect.jobs.nope: unknown job state "maybe" (expected one of: "succeeded", "failed", "unfinished")`,
    );
  });

  it("validation: an event expectation needs exactly one of input or effect", () => {
    expect(errorOf({ ...minimal(), expect: { events: [{ node: "master-1" }] } }).path).toBe("expect.events[0]");
    expect(errorOf({ ...minimal(), expect: { events: [{ node: "master-1", input: "timer", effect: "exit" }] } }).path).toBe(
      "expect.events[0]",
    );
  });

  it("validation: several masters need a recovery mode", () => {
    expect(errorOf({ ...minimal(), cluster: { masters: 2, workers: [] } }).path).toBe("cluster.recoveryMode");
  });

  it("validation: every shipped scenario is valid", () => {
    expect(loadScenario("master-failover.json").cluster.recoveryMode).toBe("zookeeper");
  });
});
