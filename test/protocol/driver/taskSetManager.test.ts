import { describe, expect, it } from "vitest";
import { checkDriverInvariants, driver, REVIVE_TIMER, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import { pushPending } from "../../../src/protocol/driver/pendingQueue.js";
import { sendKillTask } from "../../../src/protocol/driver/kill.js";
import { bytesToString } from "../../../src/protocol/driver/reasons.js";
import type { DriverStep } from "../../../src/protocol/driver/state.js";
import { handleFailedTask, handleSuccessfulTask } from "../../../src/protocol/driver/taskSetManager.js";
import {
  addExecutor,
  eid,
  execAddr,
  finish,
  ignoredWhy,
  launched,
  messagesOf,
  notes,
  registeredDriver,
  submit,
  T0,
  taskSet,
} from "./fixtures.js";

const stepContext = (s: DriverRoleState): DriverStep => ({ s, now: T0, fx: [], reviveRequested: false, dagEvents: [] });

/** Two attempts of index 0 running at once on executors 1 and 2, as speculation would start them. */
function twoAttempts() {
  const s = registeredDriver();
  addExecutor(s, 1, 1);
  const [first] = launched(submit(s, "j1", taskSet(1)));
  addExecutor(s, 2, 1);
  const tsm = s.scheduler.taskSets["j1.0.0"]!;
  tsm.copiesRunning[0] = 0; // let the index be offered again, as a speculative copy would be
  pushPending(tsm.pending, 0);
  const [second] = launched(driver.step(s, { type: "timer", key: REVIVE_TIMER }, { now: T0 }));
  tsm.copiesRunning[0] = 2;
  expect(checkDriverInvariants(s)).toEqual([]);
  return { s, tsm, first: first!, second: second! };
}

describe("driver: TaskSetManager rules that need two attempts of one index (§4.5)", () => {
  it("driver: a success kills the index's other running attempts with 'another attempt succeeded' and marks them killedByOtherAttempt", () => {
    const { s, tsm, first, second } = twoAttempts();
    expect(second).toMatchObject({ index: 0, attemptNumber: 1, executorId: eid(2) });
    const fx = finish(s, second);
    expect(messagesOf(fx, "KillTask")).toEqual([
      { type: "KillTask", taskId: first.taskId, executorId: eid(1), interruptThread: true, reason: "another attempt succeeded" },
    ]);
    expect(tsm.killedByOtherAttempt).toEqual({ [first.taskId]: true });
    expect(notes(fx, "jobSucceeded")).toHaveLength(1);
  });

  it("driver: the killed attempt finishing anyway is counted as KILLED 'Finish but did not commit...' (SPARK-37300)", () => {
    const { s, first, second } = twoAttempts();
    finish(s, second);
    const fx = finish(s, first);
    expect(notes(fx, "taskEnded")).toEqual([
      expect.objectContaining({
        taskId: first.taskId,
        state: "KILLED",
        reason: "TaskKilled (Finish but did not commit due to another attempt succeeded)",
      }),
    ]);
    expect(notes(fx, "jobProgress")).toEqual([]);
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: a second success of an already successful index (not killed by the other) is logged, not counted (I21)", () => {
    const { s, tsm, first, second } = twoAttempts();
    const d = stepContext(s);
    handleSuccessfulTask(d, tsm, second.taskId, "b");
    tsm.killedByOtherAttempt = {}; // as if the kill had not been decided yet
    handleSuccessfulTask(d, tsm, first.taskId, "a");
    expect(d.fx).toContainEqual(expect.objectContaining({ type: "log", event: "duplicateTaskSuccess" }));
    expect(d.dagEvents.filter((e) => e.kind === "taskSucceeded")).toHaveLength(1);
    expect(tsm.tasksSuccessful).toBe(1);
  });

  it("driver: ending an attempt that already ended changes nothing (SPARK-37300 guards)", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    const [t] = launched(submit(s, "j1", taskSet(2)));
    const tsm = s.scheduler.taskSets["j1.0.0"]!;
    const d = stepContext(s);
    handleFailedTask(d, tsm, t!.taskId, "FAILED", { kind: "ExceptionFailure", message: "x", notSerializable: false });
    const before = JSON.stringify(tsm);
    d.fx = [];
    handleSuccessfulTask(d, tsm, t!.taskId, "late");
    handleFailedTask(d, tsm, t!.taskId, "KILLED", { kind: "TaskKilled", reason: "late" });
    expect(ignoredWhy(d.fx)).toEqual(["attempt-already-finished", "attempt-already-finished"]);
    expect(JSON.stringify(tsm)).toBe(before);
  });

  it("driver: KillTask for an executor the driver no longer knows is only logged", () => {
    const s = registeredDriver();
    const d = stepContext(s);
    sendKillTask(d, 5, eid(9), false, "x");
    expect(d.fx).toEqual([expect.objectContaining({ type: "log", event: "killTaskOnUnknownExecutor" })]);
  });
});

describe("driver: helpers", () => {
  it("driver: bytesToString follows Spark's Utils.bytesToString (unit once at least twice of it, one decimal)", () => {
    expect(bytesToString(100)).toBe("100.0 B");
    expect(bytesToString(2048)).toBe("2.0 KiB");
    expect(bytesToString(1024 * 1024 * 1024)).toBe("1024.0 MiB");
    expect(bytesToString(3 * 2 ** 60)).toBe("3.0 EiB");
  });

  it("driver: checkDriverInvariants names broken rules", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    const [t] = launched(submit(s, "j1", taskSet(3)));
    expect(checkDriverInvariants(s)).toEqual([]);
    s.backend.executors["1"]!.freeCores = 3;
    s.backend.totalCoreCount = 7;
    s.scheduler.taskSets["j1.0.0"]!.copiesRunning[0] = 2;
    s.scheduler.taskSets["j1.0.0"]!.copiesRunning[1] = 3;
    s.scheduler.taskSets["j1.0.0"]!.attempts.runningCount = 9;
    const onExecutor = s.scheduler.executorIdToRunningTaskIds["1"]!;
    onExecutor.splice(onExecutor.indexOf(t!.taskId), 1);
    s.scheduler.pool.push("ghost");
    const problems = checkDriverInvariants(s).join("\n");
    expect(problems).toContain("I22: executor 1 has 3 free of 2 cores");
    expect(problems).toContain("totalCoreCount 7 != 2");
    expect(problems).toContain("task set j1.0.0 index 0: copiesRunning 2 != 1 live attempts");
    expect(problems).toContain("task set j1.0.0's running TIDs: the table counts 9 but holds 2");
    expect(problems).toContain(`I19: TID ${t!.taskId} is not tracked on exactly its executor`);
    expect(problems).toContain("the pool and the task sets differ");
  });

  it("driver: an executor's address is released when it is removed, so a new executor may reuse it", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    expect(s.backend.addressToExecutorId).toEqual({ [execAddr(1)]: "1" });
  });
});
