import { describe, expect, it } from "vitest";
import { REVIVE_TIMER, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import { MAX_ACTIVE_JOBS, RETAINED_FINISHED_JOBS, type JobState } from "../../../src/protocol/driver/state.js";
import { MIB } from "../../../src/protocol/index.js";
import { attemptInfo } from "../../../src/protocol/driver/taskSetManager.js";
import {
  addExecutor,
  command,
  eid,
  execAddr,
  fail,
  finish,
  ignoredWhy,
  jobId,
  launched,
  messagesOf,
  notes,
  payload,
  registeredDriver,
  running,
  runToCompletion,
  sends,
  statusUpdate,
  step,
  submit,
  taskSet,
  timer,
} from "./fixtures.js";

/** A registered driver with `executors` executors of `cores` cores each. */
function cluster(executors: number, cores: number, overrides = {}): DriverRoleState {
  const s = registeredDriver(overrides);
  for (let n = 1; n <= executors; n++) addExecutor(s, n, cores);
  return s;
}

const tsmOf = (s: DriverRoleState, id: string) => s.scheduler.taskSets[id]!;

describe("driver: offers and launches (§4.2, §4.3)", () => {
  it("driver: submitJob: tasks go round-robin, one per offer per walk, with fresh TIDs and TaskDescriptions", () => {
    const s = cluster(2, 2);
    const tasks = launched(submit(s, "j1", taskSet(5)));
    expect(tasks.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(tasks.map((t) => t.taskId)).toEqual([0, 1, 2, 3]);
    // Walk 1 gives one task to each executor, walk 2 another one each.
    expect(tasks[0]!.executorId).not.toBe(tasks[1]!.executorId);
    expect(tasks[2]!.executorId).toBe(tasks[0]!.executorId);
    expect(tasks[0]).toEqual({
      taskId: 0,
      attemptNumber: 0,
      executorId: tasks[0]!.executorId,
      taskSetId: "j1.0.0",
      index: 0,
      cpus: 1,
      payload: { data: 0, sizeBytes: 100 },
    });
    expect(s.backend.executors["1"]!.freeCores + s.backend.executors["2"]!.freeCores).toBe(0);
  });

  it("driver: LaunchTask goes to the executor's address", () => {
    const s = cluster(1, 1);
    const fx = submit(s, "j1", taskSet(1));
    expect(sends(fx, "LaunchTask")[0]!.to).toBe(execAddr(1));
  });

  it("driver: offers are shuffled with the seeded PRNG: the same seed places tasks the same way", () => {
    const place = (seed: number) => {
      const s = registeredDriver({}, { seed });
      for (let n = 1; n <= 8; n++) addExecutor(s, n, 1);
      return launched(submit(s, "j1", taskSet(8))).map((t) => t.executorId);
    };
    expect(place(1)).toEqual(place(1));
    expect(new Set(place(1)).size).toBe(8);
    expect([1, 2, 3, 4].map((seed) => place(seed).join()).some((p) => p !== place(1).join())).toBe(true);
  });

  it("driver: cpusPerTask: a task takes that many cores; an offer smaller than that gets nothing", () => {
    const s = cluster(1, 3);
    const tasks = launched(submit(s, "j1", taskSet(3, 2)));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.cpus).toBe(2);
    expect(s.backend.executors["1"]!.freeCores).toBe(1);
  });

  it("driver: a finished StatusUpdate gives back the message's taskCpus (3.4+) and offers that executor the next task", () => {
    const s = cluster(1, 2);
    const [t0] = launched(submit(s, "j1", taskSet(3, 2)));
    const fx = finish(s, t0!);
    expect(launched(fx)).toEqual([expect.objectContaining({ index: 1, executorId: eid(1) })]);
    expect(s.backend.executors["1"]!.freeCores).toBe(0);
  });

  it("driver: taskCpus that would lift free cores above total cores are capped (I22)", () => {
    const s = cluster(1, 2);
    const [t0] = launched(submit(s, "j1", taskSet(1)));
    statusUpdate(s, 1, t0!.taskId, "FINISHED", { kind: "result", value: 1, sizeBytes: 1 }, 5);
    expect(s.backend.executors["1"]!.freeCores).toBe(2);
  });

  it("driver: revive timer: re-arms itself and offers free cores to pending tasks", () => {
    const s = cluster(1, 1);
    launched(submit(s, "j1", taskSet(2)));
    s.backend.executors["1"]!.totalCores = 2; // as if a core came free without an offer following it
    s.backend.totalCoreCount = 2;
    s.backend.executors["1"]!.freeCores = 1;
    const fx = timer(s, REVIVE_TIMER);
    expect(fx[0]).toEqual({ type: "setTimer", key: REVIVE_TIMER, afterMs: 1_000 });
    expect(launched(fx)).toEqual([expect.objectContaining({ index: 1 })]);
  });

  it("driver: a serialized task of at least spark.rpc.message.maxSize aborts its task set and is not sent (§5.5)", () => {
    const s = cluster(1, 2, { maxMessageSizeBytes: 1 * MIB });
    const fx = submit(s, "j1", { tasks: [payload("big", 1 * MIB), payload("small", 10)] });
    expect(sends(fx, "LaunchTask").map((e) => (e.message.type === "LaunchTask" ? e.message.task.index : -1))).toEqual([1]);
    expect(notes(fx, "jobFailed")).toEqual([
      {
        kind: "jobFailed",
        jobId: "j1",
        reason:
          "Serialized task 0:0 was 1048576 bytes, which exceeds max allowed: spark.rpc.message.maxSize (1048576 bytes). " +
          "Consider increasing spark.rpc.message.maxSize or using broadcast variables for large values.",
      },
    ]);
    // The unsent task kept no cores and ended KILLED at once, so the cancelled stage's kill goes to
    // the sent attempt only (Spark leaves the unsent one running on the executor until it is lost).
    expect(s.backend.executors["1"]!.freeCores).toBe(1);
    expect(attemptInfo(tsmOf(s, "j1.0.0"), 0)!.status).toBe("KILLED");
    expect(s.scheduler.executorIdToRunningTaskIds["1"]).toEqual([1]);
    expect(messagesOf(fx, "KillTask").map((k) => [k.taskId, k.reason, k.interruptThread])).toEqual([[1, "Stage cancelled", false]]);
  });
});

describe("driver: jobs and stages", () => {
  it("driver: a job succeeds with the last stage's results ordered by index, with progress and per-attempt notifications", () => {
    const s = cluster(2, 2);
    const tasks = launched(submit(s, "j1", taskSet(4)));
    const order = [3, 1, 0, 2].map((i) => tasks.find((t) => t.index === i)!);
    const fxs = order.map((t) => finish(s, t, { value: t.index * 10 }));
    const all = fxs.flat();
    expect(notes(all, "taskEnded").map((n) => [n.index, n.state])).toEqual([
      [3, "FINISHED"],
      [1, "FINISHED"],
      [0, "FINISHED"],
      [2, "FINISHED"],
    ]);
    expect(notes(all, "jobProgress").map((n) => n.tasksFinished)).toEqual([1, 2, 3, 4]);
    expect(notes(all, "jobSucceeded")).toEqual([
      { kind: "jobSucceeded", jobId: "j1", results: [{ value: 0 }, { value: 10 }, { value: 20 }, { value: 30 }] },
    ]);
    expect(s.scheduler.pool).toEqual([]);
    expect(s.jobs.active).toEqual({});
  });

  it("driver: stages run one after another; the next task set starts when the previous one has succeeded", () => {
    const s = cluster(1, 4);
    const first = submit(s, "j1", taskSet(2), taskSet(3));
    expect(launched(first).map((t) => t.taskSetId)).toEqual(["j1.0.0", "j1.0.0"]);
    const all = runToCompletion(s, first);
    const sets = launched(all).map((t) => t.taskSetId);
    expect(sets).toEqual(["j1.0.0", "j1.0.0", "j1.1.0", "j1.1.0", "j1.1.0"]);
    expect(notes(all, "jobProgress").map((n) => `${n.tasksFinished}/${n.tasksTotal}`)).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);
    expect(notes(all, "jobSucceeded")[0]!.results).toEqual(["r0", "r1", "r2"]);
  });

  it("driver: a job with no tasks succeeds at once; empty stages are skipped", () => {
    const s = cluster(1, 1);
    expect(notes(submit(s, "empty"), "jobSucceeded")).toEqual([{ kind: "jobSucceeded", jobId: "empty", results: [] }]);
    const fx = submit(s, "j2", taskSet(0), taskSet(1), taskSet(0));
    expect(launched(fx).map((t) => t.taskSetId)).toEqual(["j2.1.0"]);
    expect(notes(runToCompletion(s, fx), "jobSucceeded")).toEqual([{ kind: "jobSucceeded", jobId: "j2", results: [] }]);
  });

  it("driver: task sets are served FIFO by job submission, so an earlier job's later stage goes before a later job", () => {
    const s = cluster(1, 1);
    const [a0] = launched(submit(s, "a", taskSet(1), taskSet(1)));
    submit(s, "b", taskSet(2));
    const fx = finish(s, a0!);
    // The freed core is offered before the DAG step submits stage a.1 (Spark's DAG event loop runs
    // after the handler), so b's first task takes it; from then on a.1 comes first.
    const next = launched(fx);
    expect(next.map((t) => t.taskSetId)).toEqual(["b.0.0"]);
    expect(s.scheduler.pool).toEqual(["a.1.0", "b.0.0"]);
    const fx2 = finish(s, next[0]!);
    expect(launched(fx2).map((t) => t.taskSetId)).toEqual(["a.1.0"]);
  });

  it("driver: a duplicate job id is ignored, while running and after it finished", () => {
    const s = cluster(1, 1);
    submit(s, "j1", taskSet(1));
    expect(ignoredWhy(submit(s, "j1", taskSet(1)))).toEqual(["duplicate-job"]);
    submit(s, "j0");
    expect(ignoredWhy(submit(s, "j0"))).toEqual(["duplicate-job"]);
  });

  it("driver: an invalid job (cpusPerTask 0) fails at once", () => {
    const s = cluster(1, 1);
    const fx = submit(s, "bad", taskSet(1, 0));
    expect(ignoredWhy(fx)).toEqual(["invalid-job"]);
    expect(notes(fx, "jobFailed")[0]!.reason).toContain("cpusPerTask must be a positive integer");
  });

  it("driver: beyond MAX_ACTIVE_JOBS running jobs a new job fails at once", () => {
    const s = cluster(1, 1);
    for (let i = 0; i < MAX_ACTIVE_JOBS; i++) s.jobs.active[`fake-${i}`] = { jobId: jobId(`fake-${i}`), seq: -1 } as JobState;
    const fx = submit(s, "one-too-many", taskSet(1));
    expect(notes(fx, "jobFailed")[0]!.reason).toContain("too many active jobs");
  });

  it("driver: only RETAINED_FINISHED_JOBS finished ids are kept; the oldest id may then be reused", () => {
    const s = cluster(1, 1);
    for (let i = 0; i <= RETAINED_FINISHED_JOBS; i++) submit(s, `e${i}`);
    expect(s.jobs.finishedOrder).toHaveLength(RETAINED_FINISHED_JOBS);
    expect(s.jobs.finished["e0"]).toBeUndefined();
    expect(notes(submit(s, "e0"), "jobSucceeded")).toHaveLength(1);
  });

  it("driver: a job id whose aborted task set still lingers in the pool is refused as a duplicate", () => {
    const s = cluster(1, 2, { maxMessageSizeBytes: 1 * MIB });
    // The sent attempt, asked to stop by the job's cancellation, keeps the zombie in the pool until it reports.
    submit(s, "big", { tasks: [payload("x", 2 * MIB), payload("y", 10)] });
    expect(s.scheduler.pool).toEqual(["big.0.0"]);
    delete s.jobs.finished["big"];
    s.jobs.finishedOrder = [];
    expect(ignoredWhy(submit(s, "big", taskSet(1)))).toEqual(["duplicate-job"]);
  });
});

describe("driver: status updates (§4.4, I26)", () => {
  it("driver: RUNNING ends the launching phase and changes nothing else", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(2)));
    const fx = running(s, t!);
    expect(fx).toEqual([]);
    expect(attemptInfo(tsmOf(s, "j1.0.0"), t!.taskId)!.status).toBe("RUNNING");
    expect(running(s, t!)).toEqual([]);
  });

  it("driver: an update for an unknown TID is ignored", () => {
    const s = cluster(1, 1);
    expect(ignoredWhy(statusUpdate(s, 1, 99, "FINISHED", { kind: "result", value: 1, sizeBytes: 1 }))).toEqual(["unknown-task"]);
    expect(s.backend.executors["1"]!.freeCores).toBe(1);
  });

  it("driver: a duplicated FINISHED changes nothing: no second result, no cores given back twice (I22, I26)", () => {
    const s = cluster(1, 2);
    const [t0] = launched(submit(s, "j1", taskSet(3)));
    finish(s, t0!);
    const freeBefore = s.backend.executors["1"]!.freeCores;
    const fx = finish(s, t0!);
    expect(ignoredWhy(fx)).toEqual(["unknown-task"]);
    expect(notes(fx, "jobProgress")).toEqual([]);
    expect(s.backend.executors["1"]!.freeCores).toBe(freeBefore);
  });

  it("driver: a late update from a removed executor is ignored and restores nothing", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    step(s, { type: "peerDisconnected", peer: execAddr(1) });
    const fx = finish(s, t!);
    expect(ignoredWhy(fx)).toEqual(["unknown-task"]);
    expect(fx).toContainEqual(expect.objectContaining({ event: "statusUpdateFromUnknownExecutor" }));
  });

  it("driver: LOST (Mesos only) marks the executor lost in the scheduler: its other attempts fail, the LOST one is already finished", () => {
    const s = cluster(1, 2);
    const [t0, t1] = launched(submit(s, "j1", taskSet(2)));
    running(s, t0!);
    running(s, t1!);
    const fx = statusUpdate(s, 1, t0!.taskId, "LOST");
    expect(notes(fx, "taskEnded").map((n) => [n.taskId, n.state])).toEqual([
      [t0!.taskId, "FAILED"],
      [t1!.taskId, "FAILED"],
    ]);
    expect(ignoredWhy(fx)).toEqual(["attempt-already-finished"]);
    expect(notes(fx, "taskEnded")[0]!.reason).toContain(`Task ${t0!.taskId} was lost, so marking the executor as lost as well.`);
    // The backend still knows the executor: the core the LOST update gave back goes to a retry.
    expect(launched(fx)).toEqual([expect.objectContaining({ executorId: eid(1), attemptNumber: 1 })]);
  });

  it("driver: after LOST, an attempt the executor loss failed but that still runs there gives its core back with its own late update, once (I22)", () => {
    const s = cluster(1, 2);
    const [t0, t1] = launched(submit(s, "j1", taskSet(2)));
    running(s, t0!);
    running(s, t1!);
    const [retry] = launched(statusUpdate(s, 1, t0!.taskId, "LOST"));
    expect(retry).toMatchObject({ executorId: eid(1) });
    // The retry took the LOST task's core; t1 still holds the other one.
    expect(s.backend.executors["1"]!.freeCores).toBe(0);
    const fx = finish(s, t1!);
    expect(ignoredWhy(fx)).toEqual(["unknown-task"]);
    expect(notes(fx, "jobProgress")).toEqual([]);
    // Its core is free again and goes to the next attempt (t1's index, re-queued by the loss).
    expect(launched(fx)).toEqual([expect.objectContaining({ executorId: eid(1), index: t1!.index, attemptNumber: 1 })]);
    // A duplicate of that late update frees nothing more.
    const before = s.backend.executors["1"]!.freeCores;
    finish(s, t1!);
    expect(s.backend.executors["1"]!.freeCores).toBe(before);
  });
});

describe("driver: retry and abort rules (§4.5, I24)", () => {
  it("driver: an exception counts, the index goes to the back of the queue and is relaunched with the next attempt number", () => {
    const s = cluster(1, 1);
    const [t0] = launched(submit(s, "j1", taskSet(2)));
    const fx = fail(s, t0!);
    expect(notes(fx, "taskEnded")).toEqual([
      { kind: "taskEnded", jobId: "j1", taskId: t0!.taskId, index: 0, state: "FAILED", reason: "boom" },
    ]);
    expect(tsmOf(s, "j1.0.0").numFailures[0]).toBe(1);
    const [next] = launched(fx);
    expect(next).toMatchObject({ index: 1, attemptNumber: 0 });
    const [retry] = launched(finish(s, next!));
    expect(retry).toMatchObject({ index: 0, attemptNumber: 1 });
  });

  it("driver: the 4th counted failure aborts the task set with Spark's message, and the job fails", () => {
    const s = cluster(1, 1);
    let [t] = launched(submit(s, "j1", taskSet(1)));
    let fx = [] as ReturnType<typeof fail>;
    for (let attempt = 0; attempt < 4; attempt++) {
      fx = fail(s, t!, { kind: "exception", message: "java.lang.RuntimeException: boom", stack: "at Task.run" });
      [t] = launched(fx);
    }
    expect(notes(fx, "jobFailed")).toEqual([
      {
        kind: "jobFailed",
        jobId: "j1",
        reason:
          "Task 0 in stage j1.0.0 failed 4 times, most recent failure: Lost task 0.3 in stage j1.0.0 (TID 3) " +
          "(host-1 executor 1): java.lang.RuntimeException: boom\nat Task.run",
      },
    ]);
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: an abort kills the job's other running attempts with 'Stage cancelled'; their KILLED updates retire the task set", () => {
    const s = cluster(1, 2, { taskMaxFailures: 1 });
    const [t0, t1] = launched(submit(s, "j1", taskSet(2)));
    const fx = fail(s, t0!);
    expect(notes(fx, "jobFailed")).toHaveLength(1);
    expect(messagesOf(fx, "KillTask")).toEqual([
      { type: "KillTask", taskId: t1!.taskId, executorId: eid(1), interruptThread: false, reason: "Stage cancelled" },
    ]);
    expect(launched(fx)).toEqual([]);
    const end = fail(s, t1!, { kind: "killed", reason: "Stage cancelled" }, "KILLED");
    expect(notes(end, "taskEnded")[0]).toMatchObject({ state: "KILLED", reason: "TaskKilled (Stage cancelled)" });
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: a not-serializable result aborts at once", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    const fx = fail(s, t!, { kind: "exception", message: "java.io.NotSerializableException: Foo", notSerializable: true });
    expect(notes(fx, "jobFailed")[0]!.reason).toBe(
      "task 0.0 in stage j1.0.0 (TID 0) had a not serializable result: java.io.NotSerializableException: Foo",
    );
  });

  it("driver: TaskKilled does not count toward failures and the task is requeued", () => {
    const s = cluster(1, 1, { taskMaxFailures: 1 });
    const [t] = launched(submit(s, "j1", taskSet(1)));
    const fx = fail(s, t!, { kind: "killed", reason: "user asked" }, "KILLED");
    expect(tsmOf(s, "j1.0.0").numFailures[0]).toBe(0);
    expect(launched(fx)).toEqual([expect.objectContaining({ index: 0, attemptNumber: 1 })]);
  });

  it("driver: KILLED without a reason is an UnknownReason, which counts", () => {
    const s = cluster(1, 1, { taskMaxFailures: 1 });
    const [t] = launched(submit(s, "j1", taskSet(1)));
    const fx = statusUpdate(s, 1, t!.taskId, "KILLED");
    expect(notes(fx, "jobFailed")[0]!.reason).toContain("UnknownReason");
  });

  it("driver: FINISHED without a result is a TaskResultLost, which counts", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    const fx = statusUpdate(s, 1, t!.taskId, "FINISHED");
    expect(notes(fx, "taskEnded")[0]).toMatchObject({ state: "FAILED", reason: "TaskResultLost (result lost from block manager)" });
    expect(tsmOf(s, "j1.0.0").numFailures[0]).toBe(1);
  });

  it("driver: results beyond spark.driver.maxResultSize abort the task set; that task ends KILLED", () => {
    const s = cluster(1, 2, { maxResultSizeBytes: 3000 });
    const [t0, t1] = launched(submit(s, "j1", taskSet(2)));
    finish(s, t0!, "a", 2000);
    const fx = finish(s, t1!, "b", 2000);
    expect(notes(fx, "taskEnded")[0]).toMatchObject({
      state: "KILLED",
      reason: "TaskKilled (Tasks result size has exceeded maxResultSize)",
    });
    expect(notes(fx, "jobFailed")[0]!.reason).toBe(
      "Total size of serialized results of 2 tasks (3.9 KiB) is bigger than spark.driver.maxResultSize (2.9 KiB)",
    );
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: maxResultSizeBytes 0 means no limit", () => {
    const s = cluster(1, 1, { maxResultSizeBytes: 0 });
    const [t] = launched(submit(s, "j1", taskSet(1)));
    expect(notes(finish(s, t!, "x", 5 * 1024 * MIB), "jobSucceeded")).toHaveLength(1);
  });
});

describe("driver: killing tasks and cancelling jobs (§4.6)", () => {
  it("driver: killTask command: KillTask with interruptThread to the attempt's executor", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    const fx = command(s, { kind: "killTask", taskId: t!.taskId, reason: "user" });
    expect(sends(fx)).toEqual([
      {
        type: "send",
        to: execAddr(1),
        message: { type: "KillTask", taskId: t!.taskId, executorId: eid(1), interruptThread: true, reason: "user" },
      },
    ]);
  });

  it("driver: killTask for an unknown TID is ignored", () => {
    const s = cluster(1, 1);
    expect(ignoredWhy(command(s, { kind: "killTask", taskId: 77, reason: "user" }))).toEqual(["unknown-task"]);
  });

  it("driver: cancelJob: the job fails with the reason and its running attempts are killed", () => {
    const s = cluster(1, 2);
    launched(submit(s, "j1", taskSet(3)));
    const fx = command(s, { kind: "cancelJob", jobId: jobId("j1"), reason: "user cancelled" });
    expect(notes(fx, "jobFailed")).toEqual([{ kind: "jobFailed", jobId: "j1", reason: "user cancelled" }]);
    expect(messagesOf(fx, "KillTask").map((k) => k.reason)).toEqual(["Stage cancelled", "Stage cancelled"]);
    expect(tsmOf(s, "j1.0.0").isZombie).toBe(true);
  });

  it("driver: a success arriving after the job was cancelled is not reported as progress", () => {
    const s = cluster(1, 1);
    const [t] = launched(submit(s, "j1", taskSet(2)));
    command(s, { kind: "cancelJob", jobId: jobId("j1"), reason: "stop" });
    const fx = finish(s, t!);
    expect(notes(fx, "taskEnded")).toHaveLength(1);
    expect(notes(fx, "jobProgress")).toEqual([]);
    expect(launched(fx)).toEqual([]);
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: cancelJob for an unknown or finished job is ignored", () => {
    const s = cluster(1, 1);
    expect(ignoredWhy(command(s, { kind: "cancelJob", jobId: jobId("nope"), reason: "x" }))).toEqual(["unknown-job"]);
    submit(s, "done");
    expect(ignoredWhy(command(s, { kind: "cancelJob", jobId: jobId("done"), reason: "x" }))).toEqual(["job-already-finished"]);
  });
});
