import { describe, expect, it } from "vitest";
import type { Effect, Input } from "../../src/protocol/index.js";
import type { DriverRoleState } from "../../src/protocol/driver/state.js";
import type { ExecutorBackendState } from "../../src/protocol/executor/state.js";
import { ClusterRun } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario } from "../../src/sim/scenario.js";
import type { AnyRole, SimNode } from "../../src/sim/world.js";
import { checkKillsAnswered, KILL_ANSWER_BOUND_MS } from "../../src/sim/invariants/kills.js";
import { checkJobFailures } from "../../src/sim/invariants/job-failures.js";
import { newTasksInFlight } from "../../src/sim/invariants/tasks-across.js";
import { TidLedger } from "../../src/sim/invariants/dense.js";
import type { Report } from "../../src/sim/invariants/report.js";

const tiny = (extra: Record<string, unknown> = {}) =>
  parseScenario({
    name: "tiny",
    comment: "two workers, one app, one job: for the cross-role checks' tests",
    timeLimitMs: 400_000,
    cluster: { masters: 1, workers: [{ count: 2, cores: 2, memoryMb: 4096 }] },
    apps: [
      {
        name: "pi",
        submitAtMs: 1000,
        coresPerExecutor: 2,
        jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 1000 }] }],
      },
    ],
    ...extra,
  });

const collect = (): { report: Report; checks: string[]; details: string[] } => {
  const checks: string[] = [];
  const details: string[] = [];
  return {
    checks,
    details,
    report: (check, detail) => {
      checks.push(check);
      details.push(detail);
    },
  };
};

/** A run stopped while the job's tasks run on both executors. */
function midRun(): { run: ClusterRun; driver: SimNode; executors: SimNode[] } {
  const run = new ClusterRun(tiny(), ROLES, { untilMs: 3_500 });
  run.run();
  const driver = run.world.byName.get("drv-pi")!;
  const executors = run.world.nodes.filter(
    (n) => n.kind === "executor" && n.alive && (n.state as ExecutorBackendState).runningTaskIds.length > 0,
  );
  return { run, driver, executors };
}

describe("cross-role checks", () => {
  it("C1: a healthy run mid-job agrees (messages in flight accounted for); an executor that drops a task without telling the driver is caught", () => {
    const { run, executors } = midRun();
    expect(executors.length).toBe(2);
    run.checks.scanAll(run.world.nodes, run.world.now);
    expect(run.checks.violations.map((v) => v.check)).toEqual([]);
    // The broken history: the executor forgets a running task and no StatusUpdate for it leaves.
    const e = executors[0]!.state as ExecutorBackendState;
    const tid = e.runningTaskIds[0]!;
    e.runningTaskIds.splice(0, 1);
    e.runningTaskCpus.splice(0, 1);
    run.checks.scanAll(run.world.nodes, run.world.now);
    expect(run.checks.violations.map((v) => v.check)).toEqual(["C1:driver-and-executor-agree-on-tasks"]);
    expect(run.checks.violations[0]!.detail).toContain(`TID ${tid}`);
  });

  it("C1: an executor running a task the driver never launched there is caught, and so is a core count the two disagree on", () => {
    const { run, executors } = midRun();
    const e = executors[0]!.state as ExecutorBackendState;
    e.runningTaskIds.push(9999 as never);
    e.runningTaskCpus.push(1);
    run.checks.scanAll(run.world.nodes, run.world.now);
    expect(run.checks.violations.map((v) => v.detail).join("\n")).toMatch(/runs TID 9999, which drv-pi never launched there/);
    const { run: run2, executors: executors2 } = midRun();
    (executors2[1]!.state as ExecutorBackendState).cores = 3;
    run2.checks.scanAll(run2.world.nodes, run2.world.now);
    expect(run2.checks.violations.map((v) => v.detail).join("\n")).toMatch(/with 2 cores, but it registered 3/);
  });

  it("C1: a task a LOST update took out of the driver's scheduler still runs where the driver holds its CPUs: agreed; held CPUs for a task the executor dropped are caught", () => {
    // Two 2-core executors run two tasks each; the first attempt to finish after 4 s is lost by its
    // host, so its executor is marked lost in the scheduler while its other task runs on (Spark keeps
    // the executor in the backend, and flint holds that task's CPUs until its own final update).
    const s = parseScenario({
      name: "lost",
      comment: "a LOST task on an executor that runs another",
      seed: 3,
      timeLimitMs: 300_000,
      cluster: { masters: 1, workers: [{ count: 2, cores: 4, memoryMb: 8192 }] },
      apps: [
        {
          name: "pi",
          submitAtMs: 0,
          coresPerExecutor: 2,
          jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 2000, jitterMs: 1500 }] }],
        },
      ],
      faults: [{ atMs: 4000, kind: "loseTasks", count: 1 }],
      expect: { allJobsSucceed: false },
    });
    // Stop just after the driver steps on the LOST update.
    let lostAtMs = -1;
    new ClusterRun(s, ROLES, {
      recordSink: (r) => {
        if (
          lostAtMs < 0 &&
          r.node === "drv-pi" &&
          r.input?.type === "message" &&
          r.input.message.type === "StatusUpdate" &&
          r.input.message.state === "LOST"
        )
          lostAtMs = r.timeMs;
      },
    }).run();
    expect(lostAtMs).toBeGreaterThan(4000);
    const run = new ClusterRun(s, ROLES, { untilMs: lostAtMs + 1 });
    run.run();
    expect(run.checks.violations.map((v) => v.detail)).toEqual([]);
    const d = run.world.byName.get("drv-pi")!.state as DriverRoleState;
    const held = Object.entries(d.backend.lostExecutorTaskIds);
    expect(held).toHaveLength(1);
    const [executorId, tids] = held[0]!;
    const node = run.world.nodes.find(
      (n) => n.alive && n.kind === "executor" && (n.state as ExecutorBackendState).executorId === executorId,
    )!;
    const e = node.state as ExecutorBackendState;
    expect(e.runningTaskIds).toContain(tids[0]);
    run.checks.scanAll(run.world.nodes, run.world.now);
    expect(run.checks.violations).toEqual([]);
    // The broken history: the executor drops that task without a final update; the driver's CPUs for it would leak.
    const at = e.runningTaskIds.indexOf(tids[0]! as never);
    e.runningTaskIds.splice(at, 1);
    e.runningTaskCpus.splice(at, 1);
    run.checks.scanAll(run.world.nodes, run.world.now);
    expect(run.checks.violations.map((v) => v.detail).join("\n")).toContain(
      `holds CPUs of executor ${executorId} (${node.name}) for TID ${tids[0]}, a LOST update`,
    );
  });

  it("C1 and C2 in a run: an executor that kills a task but never reports it is caught (the planted 'killed task never reported' slip)", () => {
    // The executor role with the slip: the StatusUpdate of a killed task is never sent.
    const executor: AnyRole = {
      ...ROLES.executor,
      step(state: unknown, input: Input, ctx: never): Effect[] {
        const effects = ROLES.executor.step(state, input, ctx) as Effect[];
        if (input.type !== "taskFinished" || input.outcome.kind !== "killed") return effects;
        return effects.filter((e) => !(e.type === "send" && e.message.type === "StatusUpdate"));
      },
    };
    // Every task fails: the job aborts after taskMaxFailures, and the driver kills the attempts still running.
    const scenario = tiny({
      stopWhenDone: false,
      apps: [
        {
          name: "pi",
          submitAtMs: 1000,
          coresPerExecutor: 2,
          stopWhenDone: false,
          jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 1000, jitterMs: 900, failProbability: 0.9 }] }],
        },
      ],
    });
    const healthy = new ClusterRun(scenario, ROLES);
    healthy.run();
    healthy.checks.scanAll(healthy.world.nodes, healthy.world.now);
    expect(healthy.jobs["pi-1"]!.state).toBe("failed");
    expect(healthy.checks.violations.map((v) => v.check)).toEqual([]);
    const broken = new ClusterRun(scenario, { ...ROLES, executor });
    broken.run();
    broken.checks.scanAll(broken.world.nodes, broken.world.now);
    const found = new Set(broken.checks.violations.map((v) => v.check));
    expect(found.has("C2:kill-task-answered")).toBe(true);
  });

  it("C2: a kill left unanswered past the bound by an executor the driver still holds is a violation; a young one or a gone executor is not", () => {
    const { run, driver, executors } = midRun();
    const d = driver.state as DriverRoleState;
    const exec = executors[0]!;
    const led = newTasksInFlight();
    led.kills.set(7, { executor: exec.name, atMs: 0 });
    const nodeAt = (a: string) => run.world.byName.get(a);
    const young = collect();
    checkKillsAnswered(driver.name, d, led, KILL_ANSWER_BOUND_MS - 1, nodeAt, young.report);
    expect(young.checks).toEqual([]);
    const old = collect();
    checkKillsAnswered(driver.name, d, led, KILL_ANSWER_BOUND_MS, nodeAt, old.report);
    expect(old.checks).toEqual(["C2:kill-task-answered"]);
    expect(old.details[0]).toContain("TID 7");
    run.world.crash(exec);
    const gone = collect();
    checkKillsAnswered(driver.name, d, led, KILL_ANSWER_BOUND_MS, nodeAt, gone.report);
    expect(gone.checks).toEqual([]);
  });

  it("C3: a job failed without taskMaxFailures app-caused failures of one task is a violation; losses the cluster caused do not count", () => {
    const { driver } = midRun();
    const d = driver.state as DriverRoleState;
    const tids = new TidLedger();
    for (let t = 0; t < 8; t++) tids.launch(t, "pi-1.0.0", 3, "0");
    const led = newTasksInFlight();
    const jobFailed: Effect = {
      type: "notify",
      notification: { kind: "jobFailed", jobId: "pi-1" as never, reason: "Task 3 in stage pi-1.0.0 failed 4 times" },
    };
    const taskEnded = (taskId: number): Effect => ({
      type: "notify",
      notification: { kind: "taskEnded", jobId: "pi-1" as never, taskId: taskId as never, index: 3, state: "FAILED", reason: "lost" },
    });
    const workerLost: Input = {
      type: "message",
      from: "master-1" as never,
      message: { type: "ExecutorUpdated", execId: 0 as never, state: "LOST", message: "worker lost", workerHost: "worker-1" },
    };
    const exitedByApp: Input = {
      type: "message",
      from: "master-1" as never,
      message: { type: "ExecutorUpdated", execId: 0 as never, state: "EXITED", exitStatus: 1 },
    };
    const noise = collect();
    // Three losses with the worker (cluster-caused) and three app exits: three count.
    for (let t = 0; t < 3; t++) checkJobFailures(driver.name, d, tids, led, workerLost, [taskEnded(t)], noise.report);
    for (let t = 3; t < 6; t++) checkJobFailures(driver.name, d, tids, led, exitedByApp, [taskEnded(t)], noise.report);
    expect(noise.checks).toEqual([]);
    const early = collect();
    checkJobFailures(driver.name, d, tids, led, workerLost, [taskEnded(6), jobFailed], early.report);
    expect(early.checks).toEqual(["C3:job-fails-for-app-failures"]);
    // The fourth app-caused failure justifies the abort.
    const justified = collect();
    checkJobFailures(driver.name, d, tids, led, exitedByApp, [taskEnded(7), jobFailed], justified.report);
    expect(justified.checks).toEqual([]);
    // A cancel (a command) needs no failures.
    const cancelled = collect();
    checkJobFailures(
      driver.name,
      d,
      tids,
      newTasksInFlight(),
      { type: "command", command: { kind: "cancelJob", jobId: "pi-1" as never, reason: "user" } } as Input,
      [jobFailed],
      cancelled.report,
    );
    expect(cancelled.checks).toEqual([]);
  });

  it("C4: the driver counting a failure the cluster caused (an executor lost with its worker) is caught on the spot; one the app caused is not", () => {
    const { driver } = midRun();
    const d = driver.state as DriverRoleState;
    const tsm = Object.values(d.scheduler.taskSets)[0]!;
    const tids = new TidLedger();
    tids.launch(1, tsm.taskSetId, 0, "0");
    tids.launch(2, tsm.taskSetId, 0, "0");
    const taskEnded = (taskId: number): Effect => ({
      type: "notify",
      notification: { kind: "taskEnded", jobId: tsm.jobId, taskId: taskId as never, index: 0, state: "FAILED", reason: "lost" },
    });
    const workerLost: Input = {
      type: "message",
      from: "master-1" as never,
      message: { type: "ExecutorUpdated", execId: 0 as never, state: "LOST", message: "worker lost", workerHost: "worker-1" },
    };
    const led = newTasksInFlight();
    // The broken history: the driver's count went up for a loss the master reported with the worker.
    tsm.numFailures[0] = 1;
    const slip = collect();
    checkJobFailures(driver.name, d, tids, led, workerLost, [taskEnded(1)], slip.report);
    expect(slip.checks).toEqual(["C4:only-app-failures-counted"]);
    // An app-caused failure of the same index makes the count of 1 justified.
    const fine = collect();
    checkJobFailures(
      driver.name,
      d,
      tids,
      newTasksInFlight(),
      {
        type: "message",
        from: "exec-1" as never,
        message: {
          type: "StatusUpdate",
          executorId: "0" as never,
          taskId: 2 as never,
          state: "FAILED",
          data: { kind: "failure", message: "boom" } as never,
          taskCpus: 1,
        },
      },
      [taskEnded(2)],
      fine.report,
    );
    expect(fine.checks).toEqual([]);
  });
});
