import { describe, expect, it } from "vitest";
import {
  constructedExecutor,
  DRIVER,
  EXEC_ID,
  fromDriver,
  ignoredReasons,
  launchTask,
  running,
  sent,
  startExecutor,
  step,
  task,
} from "./fixtures.js";

describe("executor: LaunchTask", () => {
  it("executor: LaunchTask: records the task, runs a fresh copy, reports RUNNING with its CPUs", () => {
    const state = constructedExecutor();
    const message = launchTask({ cpus: 2 });
    const effects = step(state, fromDriver(message));
    expect(effects).toEqual([
      { type: "runTask", task: task({ cpus: 2 }) },
      {
        type: "send",
        to: DRIVER,
        message: { type: "StatusUpdate", executorId: EXEC_ID, taskId: 7, state: "RUNNING", data: { kind: "none" }, taskCpus: 2 },
      },
    ]);
    const ran = (effects[0] as { task: typeof message.task }).task;
    expect(ran).not.toBe(message.task);
    expect(ran.payload).not.toBe(message.task.payload);
    expect(ran.payload.data).not.toBe(message.task.payload.data);
    expect(running(state)).toEqual([{ taskId: 7, cpus: 2 }]);
  });

  it("executor: LaunchTask before the executor exists: RemoveExecutor to the driver, then exit 1 (SPARK-29287)", () => {
    const { state } = startExecutor();
    const effects = step(state, fromDriver(launchTask()));
    expect(sent(effects)).toEqual([
      { type: "RemoveExecutor", executorId: EXEC_ID, reason: "Received LaunchTask command but executor was null" },
    ]);
    expect(effects.at(-1)).toEqual({ type: "exit", code: 1, reason: "Received LaunchTask command but executor was null" });
    expect(effects.some((e) => e.type === "runTask")).toBe(false);
  });

  it("executor: LaunchTask for a TID already running: the duplicate is ignored", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    expect(ignoredReasons(step(state, fromDriver(launchTask())))).toEqual(["duplicate-task"]);
  });
});

describe("executor: taskFinished", () => {
  it("executor: task success: StatusUpdate FINISHED with the result, CPUs given back, task dropped", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask({ cpus: 2 })));
    const effects = step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "success", value: { pi: 3.14 }, sizeBytes: 16 } });
    expect(sent(effects)).toEqual([
      {
        type: "StatusUpdate",
        executorId: EXEC_ID,
        taskId: 7,
        state: "FINISHED",
        data: { kind: "result", value: { pi: 3.14 }, sizeBytes: 16 },
        taskCpus: 2,
      },
    ]);
    expect(running(state)).toEqual([]);
  });

  it("executor: several tasks running: each finishes on its own, with its own CPUs, in any order", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask({ taskId: 7, cpus: 1 })));
    step(state, fromDriver(launchTask({ taskId: 8, cpus: 2 })));
    step(state, fromDriver(launchTask({ taskId: 9, cpus: 1 })));
    const middle = step(state, { type: "taskFinished", taskId: 8, outcome: { kind: "success", value: 1, sizeBytes: 8 } });
    expect(sent(middle)).toEqual([expect.objectContaining({ taskId: 8, state: "FINISHED", taskCpus: 2 })]);
    expect(running(state)).toEqual([
      { taskId: 7, cpus: 1 },
      { taskId: 9, cpus: 1 },
    ]);
    expect(ignoredReasons(step(state, { type: "taskFinished", taskId: 8, outcome: { kind: "success", value: 1, sizeBytes: 8 } }))).toEqual([
      "unknown-task",
    ]);
    expect(ignoredReasons(step(state, fromDriver(launchTask({ taskId: 9 }))))).toEqual(["duplicate-task"]);
    const last = step(state, { type: "taskFinished", taskId: 9, outcome: { kind: "killed", reason: "stop" } });
    expect(sent(last)).toEqual([expect.objectContaining({ taskId: 9, state: "KILLED", taskCpus: 1 })]);
    expect(running(state)).toEqual([{ taskId: 7, cpus: 1 }]);
  });

  it("executor: task failure: StatusUpdate FAILED with the exception", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    const effects = step(state, {
      type: "taskFinished",
      taskId: 7,
      outcome: { kind: "failure", message: "boom", stack: "at f()", notSerializable: false },
    });
    expect(sent(effects)).toEqual([
      expect.objectContaining({
        state: "FAILED",
        data: { kind: "failure", failure: { kind: "exception", message: "boom", stack: "at f()", notSerializable: false } },
        taskCpus: 1,
      }),
    ]);
  });

  it("executor: task failure without a stack: the failure carries only the message", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    const effects = step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "failure", message: "boom" } });
    expect(sent(effects)).toEqual([
      expect.objectContaining({ data: { kind: "failure", failure: { kind: "exception", message: "boom" } } }),
    ]);
  });

  it("executor: task killed: StatusUpdate KILLED with the kill reason; not LOST (the executor never loses a task by itself)", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    const effects = step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "killed", reason: "stage cancelled" } });
    expect(sent(effects)).toEqual([
      expect.objectContaining({ state: "KILLED", data: { kind: "failure", failure: { kind: "killed", reason: "stage cancelled" } } }),
    ]);
  });

  it("executor: a task its host lost: StatusUpdate LOST with its CPUs and no data (the driver reads UnknownReason)", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    const effects = step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "lost", reason: "the task's runner went away" } });
    expect(sent(effects)).toEqual([expect.objectContaining({ type: "StatusUpdate", taskId: 7, state: "LOST", data: { kind: "none" } })]);
    expect(ignoredReasons(step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "lost", reason: "again" } }))).toEqual([
      "unknown-task",
    ]);
  });

  it("executor: taskFinished for an unknown or already finished task: ignored", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "success", value: 1, sizeBytes: 1 } });
    expect(ignoredReasons(step(state, { type: "taskFinished", taskId: 7, outcome: { kind: "success", value: 1, sizeBytes: 1 } }))).toEqual([
      "unknown-task",
    ]);
  });
});

describe("executor: KillTask", () => {
  it("executor: KillTask for a running task: asks the host to kill it", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    const effects = step(
      state,
      fromDriver({ type: "KillTask", taskId: 7, executorId: EXEC_ID, interruptThread: true, reason: "another attempt succeeded" }),
    );
    expect(effects).toEqual([{ type: "killTask", taskId: 7, reason: "another attempt succeeded" }]);
    // The task stays running until the host reports it killed.
    expect(running(state)).toEqual([{ taskId: 7, cpus: 1 }]);
  });

  it("executor: KillTask for an unknown task: ignored", () => {
    const state = constructedExecutor();
    const effects = step(state, fromDriver({ type: "KillTask", taskId: 8, executorId: EXEC_ID, interruptThread: false, reason: "x" }));
    expect(ignoredReasons(effects)).toEqual(["unknown-task"]);
  });

  it("executor: KillTask before the executor exists: RemoveExecutor, then exit 1", () => {
    const { state } = startExecutor();
    const effects = step(state, fromDriver({ type: "KillTask", taskId: 8, executorId: EXEC_ID, interruptThread: false, reason: "x" }));
    expect(sent(effects)).toEqual([expect.objectContaining({ type: "RemoveExecutor" })]);
    expect(effects.at(-1)).toMatchObject({ type: "exit", code: 1 });
  });
});
