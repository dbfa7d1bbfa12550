/**
 * D1-D4, the driver's conservation checks (src/sim/invariants/driver-*.ts): each is fed the state
 * of a healthy run mid-job (it holds) and then a broken state or history (it fails).
 */
import { describe, expect, it } from "vitest";
import type { DriverRoleState } from "../../src/protocol/driver/state.js";
import type { Effect, Input } from "../../src/protocol/index.js";
import { jobId } from "../../src/protocol/ids.js";
import { attemptSlot } from "../../src/protocol/driver/attempts.js";
import { ClusterRun } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { TidLedger } from "../../src/sim/invariants/dense.js";
import {
  checkDriverCores,
  checkFreeCoresConserved,
  checkRegistry,
  newDriverCoresLedger,
  type DriverCoresLedger,
} from "../../src/sim/invariants/driver-cores.js";
import { checkOfferRound } from "../../src/sim/invariants/driver-offers.js";
import { checkAppFailuresCounted } from "../../src/sim/invariants/driver-failures.js";
import { checkExecutorRequests } from "../../src/sim/invariants/driver-requests.js";
import { checkAttemptNumbers, checkKillsNameRunningAttempts } from "../../src/sim/invariants/driver-attempts.js";
import { checkJobResults, newDriverResultsLedger } from "../../src/sim/invariants/driver-results.js";
import { checkLostTaskLosesExecutor, D9 } from "../../src/sim/invariants/driver-lost-tasks.js";
import type { Report } from "../../src/sim/invariants/report.js";

const tiny = parseScenario({
  name: "tiny",
  comment: "two workers, one app, one job: for the driver conservation checks' tests",
  timeLimitMs: 400_000,
  cluster: { masters: 1, workers: [{ count: 2, cores: 2, memoryMb: 4096 }] },
  apps: [
    { name: "pi", submitAtMs: 1000, coresPerExecutor: 2, jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 1000 }] }] },
  ],
});

const collect = (): { report: Report; checks: string[]; details: string[] } => {
  const checks: string[] = [];
  const details: string[] = [];
  return { checks, details, report: (check, detail) => void (checks.push(check), details.push(detail)) };
};

/** The driver's state while the job's tasks run on both executors, with ledgers rebuilt from that state as the checks would hold them. */
function midRun(): { s: DriverRoleState; tids: TidLedger; cores: DriverCoresLedger } {
  const run = new ClusterRun(tiny, ROLES, { untilMs: 3_500 });
  run.run();
  expect(run.checks.violations).toEqual([]);
  const s = run.world.byName.get("drv-pi")!.state as DriverRoleState;
  const tids = new TidLedger();
  const cores = newDriverCoresLedger();
  for (const id in s.backend.executors)
    cores.registered.set(id, { cores: s.backend.executors[id]!.totalCores, address: s.backend.executors[id]!.address });
  for (const taskSetId of s.scheduler.pool) {
    const tsm = s.scheduler.taskSets[taskSetId]!;
    cores.cpusByTaskSet.set(taskSetId, tsm.cpusPerTask);
    for (const executorId in s.scheduler.executorIdToRunningTaskIds) {
      for (const taskId of s.scheduler.executorIdToRunningTaskIds[executorId]!) {
        const slot = attemptSlot(tsm.attempts, taskId);
        if (slot >= 0) tids.launch(taskId, taskSetId, tsm.attempts.index[slot]!, executorId);
      }
    }
  }
  expect(Object.keys(s.backend.executors).length).toBe(2);
  return { s, tids, cores };
}

describe("D1: the backend agrees with the registrations and removals it saw", () => {
  it("holds mid-run; a core count, an executor count or an executor that drifts from them is caught", () => {
    const { s, cores } = midRun();
    const ok = collect();
    checkRegistry("drv-pi", s, cores, ok.report);
    expect(ok.checks).toEqual([]);
    s.backend.totalCoreCount += 2;
    const drift = collect();
    checkRegistry("drv-pi", s, cores, drift.report);
    expect(drift.details).toEqual(["drv-pi counts 6 cores, but its registered executors have 4"]);
    s.backend.totalCoreCount -= 2;
    const [first] = Object.keys(s.backend.executors);
    delete s.backend.executors[first!];
    const lost = collect();
    checkRegistry("drv-pi", s, cores, lost.report);
    expect(lost.checks).toContain("D1:backend-agrees-with-registrations");
    expect(lost.details.join("\n")).toMatch(new RegExp(`registered executor ${first} and never reported it removed`));
  });

  it("a RegisterExecutor for a fresh id that is refused, or a registered one accepted again, is caught", () => {
    const { s, tids, cores } = midRun();
    const register = (executorId: string): Input => ({
      type: "message",
      from: "exec-new" as never,
      message: {
        type: "RegisterExecutor",
        executorId: executorId as never,
        executorAddress: "exec-new" as never,
        hostname: "h",
        cores: 2,
      } as never,
    });
    const refused = collect();
    checkDriverCores(
      "drv-pi",
      s,
      tids,
      cores,
      register("99"),
      [{ type: "send", to: "exec-new" as never, message: { type: "RegisterExecutorFailed", message: "no" } }],
      refused.report,
    );
    expect(refused.details).toEqual(["drv-pi refused executor 99, whose id is not registered"]);
    const [known] = Object.keys(s.backend.executors);
    const again = collect();
    checkDriverCores(
      "drv-pi",
      s,
      tids,
      cores,
      register(known!),
      [{ type: "send", to: "exec-new" as never, message: { type: "RegisteredExecutor" } }],
      again.report,
    );
    expect(again.details).toEqual([`drv-pi accepted executor ${known} again while it is registered`]);
    // A duplicate refused for another cause than its id (or a fresh id refused as a duplicate) is caught.
    const refusedAs = (executorId: string, message: string): string[] => {
      const r = collect();
      checkDriverCores(
        "drv-pi",
        s,
        tids,
        cores,
        register(executorId),
        [{ type: "send", to: "exec-new" as never, message: { type: "RegisterExecutorFailed", message } }],
        r.report,
      );
      return r.details;
    };
    expect(refusedAs(known!, `Duplicate executor ID: ${known}`)).toEqual([]);
    expect(refusedAs(known!, `Too many executors (limit 100000): ${known}`)).toEqual([
      `drv-pi refused executor ${known} with "Too many executors (limit 100000): ${known}", but its id is registered`,
    ]);
    expect(refusedAs("98", "Duplicate executor ID: 98")).toEqual([
      'drv-pi refused executor 98 with "Duplicate executor ID: 98", but its id is not registered',
      "drv-pi refused executor 98, whose id is not registered",
    ]);
  });
});

describe("D2: free cores are the cores minus what the executor's tasks hold", () => {
  it("holds mid-run; a core freed twice, or a task held after a LOST update whose CPUs were given back, is caught", () => {
    const { s, tids, cores } = midRun();
    const ids = Object.keys(s.backend.executors);
    for (const id of ids) {
      const ok = collect();
      checkFreeCoresConserved("drv-pi", s, tids, cores, id, ok.report);
      expect(ok.checks).toEqual([]);
    }
    const e = s.backend.executors[ids[0]!]!;
    expect(e.freeCores).toBe(0);
    e.freeCores = 1;
    const freed = collect();
    checkFreeCoresConserved("drv-pi", s, tids, cores, ids[0]!, freed.report);
    expect(freed.details).toEqual([`drv-pi: executor ${ids[0]} has 1 free cores, but 2 cores minus the 2 its tasks hold is 0`]);
    // The other executor's first task moves to the LOST-held list, as a LOST update's executor loss would; its CPUs stay held.
    const other = ids[1]!;
    const running = s.scheduler.executorIdToRunningTaskIds[other]!;
    const moved = running.shift()!;
    s.backend.lostExecutorTaskIds[other] = [moved];
    const held = collect();
    checkFreeCoresConserved("drv-pi", s, tids, cores, other, held.report);
    expect(held.checks).toEqual([]);
    delete s.backend.lostExecutorTaskIds[other];
    const dropped = collect();
    checkFreeCoresConserved("drv-pi", s, tids, cores, other, dropped.report);
    expect(dropped.checks).toEqual(["D2:free-cores-conserved"]);
  });
});

describe("D3: an offer round leaves no idle core beside a pending task", () => {
  const revive: Input = { type: "timer", key: "revive" };
  it("holds mid-run; an executor left with a free core while tasks are pending is caught after a round, not after a step that offered nothing", () => {
    const { s } = midRun();
    const ok = collect();
    checkOfferRound("drv-pi", s, revive, [], ok.report);
    expect(ok.checks).toEqual([]);
    const [id] = Object.keys(s.backend.executors);
    s.backend.executors[id!]!.freeCores = 1;
    const idle = collect();
    checkOfferRound("drv-pi", s, revive, [], idle.report);
    expect(idle.checks).toEqual(["D3:offer-round-uses-idle-cores"]);
    expect(idle.details[0]).toMatch(new RegExp(`executor ${id} has 1 free cores while task \\d+ of pi-1.0.0 \\(1 CPUs\\) is pending`));
    const noRound = collect();
    checkOfferRound("drv-pi", s, { type: "timer", key: "expireDeadHosts" }, [], noRound.report);
    expect(noRound.checks).toEqual([]);
    // An executor being removed is not offered.
    s.backend.executorsPendingToRemove[id!] = true;
    const removing = collect();
    checkOfferRound("drv-pi", s, revive, [], removing.report);
    expect(removing.checks).toEqual([]);
  });
});

describe("D4: a job's results come from accepted successes", () => {
  const job = jobId("j");
  /** A driver state that knows job j with one stage of two tasks, and a TID ledger with TIDs 0 and 1 launched for them. */
  function setup(): { s: DriverRoleState; tids: TidLedger; led: ReturnType<typeof newDriverResultsLedger> } {
    const s = { jobs: { active: { j: { stages: [{ numTasks: 2 }] } } } } as unknown as DriverRoleState;
    const tids = new TidLedger();
    tids.launch(0, "j.0.0", 0, "1");
    tids.launch(1, "j.0.0", 1, "1");
    const led = newDriverResultsLedger();
    checkJobResults(
      "drv",
      s,
      tids,
      led,
      null,
      [{ type: "log", level: "info", event: "jobSubmitted", fields: { jobId: "j", stages: 1, tasks: 2 } }],
      collect().report,
    );
    return { s, tids, led };
  }
  const finished = (taskId: number, value: unknown): Input => ({
    type: "message",
    from: "exec" as never,
    message: {
      type: "StatusUpdate",
      executorId: "1" as never,
      taskId: taskId as never,
      state: "FINISHED",
      data: { kind: "result", value, sizeBytes: 8 },
      taskCpus: 1,
    } as never,
  });
  const ended = (taskId: number, index: number): Effect => ({
    type: "notify",
    notification: { kind: "taskEnded", jobId: job, taskId: taskId as never, index, state: "FINISHED" },
  });
  const progress = (n: number): Effect => ({
    type: "notify",
    notification: { kind: "jobProgress", jobId: job, tasksFinished: n, tasksTotal: 2 },
  });
  const succeeded = (results: unknown[]): Effect => ({ type: "notify", notification: { kind: "jobSucceeded", jobId: job, results } });

  it("holds for a job whose results are its tasks' values", () => {
    const { s, tids, led } = setup();
    const r = collect();
    checkJobResults("drv", s, tids, led, finished(0, 10), [ended(0, 0), progress(1)], r.report);
    checkJobResults("drv", s, tids, led, finished(1, { v: [11] }), [ended(1, 1), progress(2), succeeded([10, { v: [11] }])], r.report);
    expect(r.checks).toEqual([]);
  });

  it("a job that succeeds before all its tasks did, a result no attempt returned, or a progress count off the successes is caught", () => {
    const early = setup();
    const a = collect();
    checkJobResults("drv", early.s, early.tids, early.led, finished(0, 10), [ended(0, 0), progress(1), succeeded([10, null])], a.report);
    expect(a.details).toEqual(["drv reported job j succeeded, but task 1 of its stage 0 never succeeded"]);
    const wrong = setup();
    const b = collect();
    checkJobResults("drv", wrong.s, wrong.tids, wrong.led, finished(0, 10), [ended(0, 0), progress(1)], b.report);
    checkJobResults("drv", wrong.s, wrong.tids, wrong.led, finished(1, 11), [ended(1, 1), progress(2), succeeded([10, 10])], b.report);
    expect(b.details).toEqual(["drv reported job j's result 1 as 10, which no successful attempt of that task returned"]);
    const counted = setup();
    const c = collect();
    checkJobResults("drv", counted.s, counted.tids, counted.led, finished(0, 10), [ended(0, 0), progress(2)], c.report);
    expect(c.details).toEqual(["drv reports job j at 2 of 2 tasks, but 1 of its 2 tasks have a success"]);
  });
});

describe("D1-D4 in a run", () => {
  it("a driver that gives a finished task's CPUs back twice is caught by the step checks", () => {
    // The driver's step, wrapped: after each final StatusUpdate, its executor gets one more free core (capped at its cores).
    const driver = ROLES.driver;
    const leaky = {
      ...ROLES,
      driver: {
        ...driver,
        step: (state: DriverRoleState, input: Input, ctx: never) => {
          const fx = driver.step(state as never, input, ctx);
          if (input.type === "message" && input.message.type === "StatusUpdate" && input.message.state === "FINISHED") {
            const e = state.backend.executors[input.message.executorId];
            if (e !== undefined && e.freeCores < e.totalCores && e.launched) e.freeCores += 1;
          }
          return fx;
        },
      },
    };
    const run = new ClusterRun(tiny, leaky as never, { untilMs: 20_000 });
    run.run();
    expect(run.checks.violations.map((v) => v.check)).toContain("D2:free-cores-conserved");
  });
});

describe("D5: a failure that is surely the app's is counted", () => {
  const failed = (taskId: number, failure: Record<string, unknown>): Input => ({
    type: "message",
    from: "exec" as never,
    message: {
      type: "StatusUpdate",
      executorId: "1" as never,
      taskId: taskId as never,
      state: "FAILED",
      data: { kind: "failure", failure },
      taskCpus: 1,
    } as never,
  });
  const ended = (taskId: number): Effect => ({
    type: "notify",
    notification: { kind: "taskEnded", jobId: jobId("j"), taskId: taskId as never, index: 0, state: "FAILED", reason: "boom" },
  });
  function setup(numFailures: number, successful = false): { s: DriverRoleState; tids: TidLedger } {
    const s = {
      protocol: { taskMaxFailures: 4 },
      scheduler: { taskSets: { "j.0.0": { isZombie: false, numFailures: [numFailures], successful: [successful] } } },
    } as unknown as DriverRoleState;
    const tids = new TidLedger();
    for (let taskId = 0; taskId < 5; taskId++) tids.launch(taskId, "j.0.0", 0, "1");
    return { s, tids };
  }

  it("holds when the driver counts each exception; an exception not counted is caught, a kill is not required to count", () => {
    const { s, tids } = setup(1);
    const r = collect();
    const tally = new Map();
    checkAppFailuresCounted("drv", s, tids, tally, failed(0, { kind: "exception", message: "boom" }), [ended(0)], r.report);
    expect(r.checks).toEqual([]);
    checkAppFailuresCounted("drv", s, tids, tally, failed(1, { kind: "killed", reason: "stop" }), [ended(1)], r.report);
    expect(r.checks).toEqual([]);
    checkAppFailuresCounted("drv", s, tids, tally, failed(2, { kind: "exception", message: "boom" }), [ended(2)], r.report);
    expect(r.details).toEqual([
      "drv counts 1 failures against task 0 of j.0.0, but 2 of its attempts failed for the app's own reasons (TID 2 just ended FAILED)",
    ]);
  });

  it("an exception of an attempt whose task already succeeded (a speculative loser) is not required to count", () => {
    const { s, tids } = setup(0, true);
    const r = collect();
    const tally = new Map();
    for (let taskId = 0; taskId < 4; taskId++)
      checkAppFailuresCounted("drv", s, tids, tally, failed(taskId, { kind: "exception", message: "boom" }), [ended(taskId)], r.report);
    expect(r.checks).toEqual([]);
  });

  it("a task set still active once the app's failures of one task reach taskMaxFailures is caught", () => {
    const { s, tids } = setup(4);
    const r = collect();
    const tally = new Map();
    for (let taskId = 0; taskId < 4; taskId++)
      checkAppFailuresCounted("drv", s, tids, tally, failed(taskId, { kind: "exception", message: "boom" }), [ended(taskId)], r.report);
    expect(r.checks).toEqual(["D5:app-failures-counted"]);
    expect(r.details[0]).toMatch(/failed 4 times for the app's own reasons \(limit 4/);
  });
});

describe("D6: executor requests follow the user's target", () => {
  const state = (running: Record<string, number[]>, pending: Record<string, boolean> = {}): DriverRoleState =>
    ({
      phase: "running",
      backend: { executors: { "1": {}, "2": {} }, executorsPendingToRemove: pending, requestedTotalExecutors: null },
      scheduler: { executorIdToRunningTaskIds: running },
    }) as unknown as DriverRoleState;
  const command = (c: Record<string, unknown>): Input => ({ type: "command", command: c as never });
  const ask = (total: number): Effect => ({
    type: "send",
    to: "master" as never,
    message: { type: "RequestExecutors", appId: "app" as never, requestedTotal: total },
  });
  const kill = (ids: string[]): Effect => ({
    type: "send",
    to: "master" as never,
    message: { type: "KillExecutors", appId: "app" as never, executorIds: ids },
  });

  it("holds when a kill lowers the target by the executors killed; a total off the target, or an idle executor the kill spared, is caught", () => {
    const target = { total: null as number | null };
    const ok = collect();
    checkExecutorRequests(
      "drv",
      state({ "1": [], "2": [7] }),
      target,
      command({ kind: "requestTotalExecutors", total: 3 }),
      [ask(3)],
      ok.report,
    );
    checkExecutorRequests(
      "drv",
      state({ "1": [], "2": [7] }, { "1": false }),
      target,
      command({ kind: "killExecutors", executorIds: ["1", "2"] }),
      [ask(2), kill(["1"])],
      ok.report,
    );
    expect(ok.checks).toEqual([]);
    expect(target.total).toBe(2);
    const off = collect();
    checkExecutorRequests(
      "drv",
      state({}),
      { total: 3 },
      command({ kind: "killExecutors", executorIds: ["1"] }),
      [ask(3), kill(["1"])],
      off.report,
    );
    expect(off.details).toContain("drv asked the master for 3 executors in total, but the user's target is 2");
    const spared = collect();
    checkExecutorRequests(
      "drv",
      state({ "1": [] }),
      { total: 3 },
      command({ kind: "killExecutors", executorIds: ["1"] }),
      [],
      spared.report,
    );
    expect(spared.details).toEqual(["drv holds executor 1, which runs no task, but the user's killExecutors of it did not kill it"]);
    const unasked = collect();
    checkExecutorRequests("drv", state({}), { total: null }, { type: "timer", key: "revive" }, [ask(1)], unasked.report);
    expect(unasked.checks).toEqual(["D6:executor-requests-follow-the-target"]);
  });
});

describe("D7: attempt numbers count the task's earlier attempts", () => {
  const launch = (taskId: number, index: number, attemptNumber: number): Effect => ({
    type: "send",
    to: "exec" as never,
    message: {
      type: "LaunchTask",
      task: {
        taskId: taskId as never,
        attemptNumber,
        executorId: "1" as never,
        taskSetId: "j.0.0",
        index,
        cpus: 1,
        payload: { data: null, sizeBytes: 1 },
      },
    },
  });
  const submitted: Effect = { type: "log", level: "info", event: "taskSetSubmitted", fields: { taskSetId: "j.0.0", tasks: 2 } };

  it("holds for 0, 1, 2 per task (and again from 0 when the task set id is submitted anew); a repeated or skipped number is caught", () => {
    const counts = new Map();
    const ok = collect();
    checkAttemptNumbers("drv", counts, [submitted, launch(0, 0, 0), launch(1, 1, 0)], ok.report);
    checkAttemptNumbers("drv", counts, [launch(2, 0, 1), launch(3, 0, 2)], ok.report);
    checkAttemptNumbers("drv", counts, [submitted, launch(4, 0, 0)], ok.report);
    expect(ok.checks).toEqual([]);
    const again = collect();
    checkAttemptNumbers("drv", counts, [launch(5, 0, 0)], again.report);
    expect(again.details).toEqual(["drv launched TID 5 as attempt 0 of task 0 of j.0.0, which had 1 attempts before"]);
  });
});

describe("D8: a KillTask names an attempt the driver holds as running", () => {
  const killTask = (taskId: number, executorId: string, to: string): Effect => ({
    type: "send",
    to: to as never,
    message: { type: "KillTask", taskId: taskId as never, executorId: executorId as never, interruptThread: false, reason: "stop" },
  });

  it("holds mid-run for a running attempt; a kill of a finished attempt, or sent to another executor, is caught", () => {
    const { s, tids } = midRun();
    const [id] = Object.keys(s.backend.executors);
    const address = s.backend.executors[id!]!.address;
    const taskId = s.scheduler.executorIdToRunningTaskIds[id!]![0]!;
    const ok = collect();
    checkKillsNameRunningAttempts("drv-pi", s, tids, [killTask(taskId, id!, address)], ok.report);
    expect(ok.checks).toEqual([]);
    const wrongExecutor = collect();
    checkKillsNameRunningAttempts("drv-pi", s, tids, [killTask(taskId, "77", address)], wrongExecutor.report);
    expect(wrongExecutor.details).toEqual([`drv-pi sent KillTask for TID ${taskId} naming executor 77, but launched it on ${id}`]);
    const tsm = s.scheduler.taskSets[tids.taskSetOf(taskId)!]!;
    tsm.attempts.status[attemptSlot(tsm.attempts, taskId)] = "FINISHED";
    const finished = collect();
    checkKillsNameRunningAttempts("drv-pi", s, tids, [killTask(taskId, id!, address)], finished.report);
    expect(finished.details).toEqual([`drv-pi sent KillTask for TID ${taskId}, which it holds as FINISHED, not running`]);
  });
});

describe("D9: a task LOST on an executor takes the executor's other tasks with it", () => {
  /** A LOST update for a TID running on the first executor (which runs two), from that executor, and the real driver's step on it. */
  function lostUpdate(taskIdOf: (running: number[]) => number = (running) => running[0]!) {
    const { s } = midRun();
    const [executorId] = Object.keys(s.backend.executors);
    const running = [...s.scheduler.executorIdToRunningTaskIds[executorId!]!];
    expect(running.length).toBe(2);
    const input: Input = {
      type: "message",
      from: s.backend.executors[executorId!]!.address,
      message: {
        type: "StatusUpdate",
        executorId: executorId as never,
        taskId: taskIdOf(running) as never,
        state: "LOST",
        data: { kind: "failure", failure: { kind: "exception", message: "host lost" } },
        taskCpus: 1,
      },
    };
    const effects = ROLES.driver.step(s, input, { now: 1_767_225_603_500 }) as Effect[];
    return { s, input, effects, executorId: executorId!, running };
  }

  it("the real driver fails the executor's other attempts (it may launch new ones there at once), and that passes", () => {
    const { s, input, effects, executorId, running } = lostUpdate();
    for (const tid of running) expect(s.scheduler.executorIdToRunningTaskIds[executorId] ?? []).not.toContain(tid);
    const ok = collect();
    checkLostTaskLosesExecutor("drv-pi", s, input, effects, ok.report);
    expect(ok.checks).toEqual([]);
  });

  it("a driver that keeps tracking the executor's other attempt is caught", () => {
    const { s, input, effects, executorId, running } = lostUpdate();
    (s.scheduler.executorIdToRunningTaskIds[executorId] ??= []).push(running[1]! as never);
    const broken = collect();
    checkLostTaskLosesExecutor("drv-pi", s, input, effects, broken.report);
    expect(broken.checks).toEqual([D9]);
  });

  it("an update the driver did not take (an unknown TID) is not judged", () => {
    const { s, input, effects } = lostUpdate(() => 999_999);
    expect(effects.some((e) => e.type === "notify" && e.notification.kind === "taskEnded")).toBe(false);
    const ok = collect();
    checkLostTaskLosesExecutor("drv-pi", s, input, effects, ok.report);
    expect(ok.checks).toEqual([]);
  });
});
