import { describe, expect, it } from "vitest";
import { produce, setAutoFreeze } from "immer";
import { addAttempt, attemptSlot, newAttemptTable, removeRunningSlot, runningTaskIds } from "../../../src/protocol/driver/attempts.js";
import { checkDriverInvariants, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import { pushPending } from "../../../src/protocol/driver/pendingQueue.js";
import { attemptInfo } from "../../../src/protocol/driver/taskSetManager.js";
import { executorId, type ExecutorId } from "../../../src/protocol/index.js";
import { addExecutor, launched, registeredDriver, submit, taskSet } from "./fixtures.js";

const e1: ExecutorId = executorId(1);

describe("driver: attempt table (taskInfos and runningTasksSet as parallel arrays)", () => {
  it("attempt table: attempts with gaps between their TIDs are found by TID, empty slots are none", () => {
    const t = newAttemptTable();
    addAttempt(t, 10, 0, 0, e1, "host-1", -1, 0);
    addAttempt(t, 13, 1, 0, e1, "host-1", -1, 0);
    addAttempt(t, 14, 0, 1, e1, "host-1", 10, 0);
    expect(t.base).toBe(10);
    expect([9, 10, 11, 12, 13, 14, 15].map((tid) => attemptSlot(t, tid))).toEqual([-1, 0, -1, -1, 3, 4, -1]);
    expect(t.index).toEqual([0, -1, -1, 1, 0]);
    expect(t.status).toEqual(["LAUNCHING", null, null, "LAUNCHING", "LAUNCHING"]);
    expect(t.executorId).toEqual([e1, "", "", e1, e1]);
    expect([t.size, t.runningCount]).toEqual([3, 3]);
    expect(runningTaskIds(t)).toEqual([10, 13, 14]);
  });

  it("attempt table: removeRunningSlot takes a TID out of the running set once; an empty slot or -1 changes nothing", () => {
    const t = newAttemptTable();
    addAttempt(t, 0, 0, 0, e1, "host-1", -1, 0);
    addAttempt(t, 2, 1, 0, e1, "host-1", -1, 0);
    removeRunningSlot(t, attemptSlot(t, 0));
    removeRunningSlot(t, attemptSlot(t, 0));
    removeRunningSlot(t, 1);
    removeRunningSlot(t, -1);
    expect(t.runningCount).toBe(1);
    expect(runningTaskIds(t)).toEqual([2]);
    removeRunningSlot(t, attemptSlot(t, 2));
    expect(runningTaskIds(t)).toEqual([]);
    expect(t.size).toBe(2);
  });

  it("attempt table: a TID not above every attempt held is a programmer error", () => {
    const t = newAttemptTable();
    addAttempt(t, 5, 0, 0, e1, "host-1", -1, 0);
    expect(() => addAttempt(t, 5, 1, 0, e1, "host-1", -1, 0)).toThrow(/not above every attempt/);
    expect(() => addAttempt(t, 4, 1, 0, e1, "host-1", -1, 0)).toThrow(/not above every attempt/);
    expect(() => addAttempt(t, 6.5, 1, 0, e1, "host-1", -1, 0)).toThrow(/not above every attempt/);
  });

  it("attempt table: works on an immer draft and stays plain data (structuredClone)", () => {
    setAutoFreeze(true);
    const before = newAttemptTable();
    const after = produce(before, (draft) => {
      addAttempt(draft, 3, 0, 0, e1, "host-1", -1, 0);
      addAttempt(draft, 5, 1, 0, e1, "host-1", -1, 0);
      removeRunningSlot(draft, attemptSlot(draft, 3));
    });
    expect(before.size).toBe(0);
    expect(structuredClone(after)).toEqual(after);
    expect(runningTaskIds(after)).toEqual([5]);
  });

  it("driver: two jobs launched in turn interleave their TIDs; each task set's table holds only its own", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    const a = launched(submit(s, "j1", taskSet(1)));
    const b = launched(submit(s, "j2", taskSet(3)));
    expect(a.map((t) => t.taskId)).toEqual([0]);
    expect(b.map((t) => t.taskId)).toEqual([1]);
    const j1 = s.scheduler.taskSets["j1.0.0"]!;
    const j2 = s.scheduler.taskSets["j2.0.0"]!;
    expect(attemptInfo(j1, 0)).toMatchObject({
      taskId: 0,
      index: 0,
      attemptNumber: 0,
      executorId: "1",
      host: "host-1",
      status: "LAUNCHING",
    });
    expect(attemptInfo(j1, 1)).toBeUndefined();
    expect(attemptInfo(j2, 0)).toBeUndefined();
    expect(attemptInfo(j2, 1)).toMatchObject({ taskId: 1, index: 0 });
    expect(checkDriverInvariants(s)).toEqual([]);
  });
});

describe("driver: checkDriverInvariants catches a broken attempt table", () => {
  function busy(): { s: DriverRoleState; tids: number[] } {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    const tids = launched(submit(s, "j1", taskSet(3))).map((t) => t.taskId);
    expect(checkDriverInvariants(s)).toEqual([]);
    return { s, tids };
  }
  const tsm = (s: DriverRoleState) => s.scheduler.taskSets["j1.0.0"]!;

  it("driver invariants: a live attempt out of the running set, and a finished one in it", () => {
    const { s, tids } = busy();
    const t = tsm(s).attempts;
    t.running[attemptSlot(t, tids[0]!)] = false;
    t.status[attemptSlot(t, tids[1]!)] = "FAILED";
    const problems = checkDriverInvariants(s).join("\n");
    expect(problems).toContain(`task set j1.0.0: live attempt TID ${tids[0]} is not running`);
    expect(problems).toContain(`task set j1.0.0: running TID ${tids[1]} has no live attempt`);
    expect(problems).toContain("task set j1.0.0's running TIDs: the table counts 2 but holds 1");
  });

  it("driver invariants: parallel arrays of different lengths", () => {
    const { s } = busy();
    tsm(s).attempts.host.push("stray");
    expect(checkDriverInvariants(s).join("\n")).toContain("task set j1.0.0's attempts: the parallel arrays differ in length");
  });

  it("driver invariants: an attempt no index lists, a wrong link, a wrong count and data in an empty slot", () => {
    const { s, tids } = busy();
    const m = tsm(s);
    const t = m.attempts;
    m.lastAttempt[1] = -1;
    let problems = checkDriverInvariants(s).join("\n");
    expect(problems).toContain("task set j1.0.0: 2 attempts held but 1 reachable from their indices");
    expect(problems).toContain("task set j1.0.0 index 1: copiesRunning 1 != 0 live attempts");
    m.lastAttempt[1] = tids[1]!;
    t.previous[attemptSlot(t, tids[1]!)] = tids[0]!;
    problems = checkDriverInvariants(s).join("\n");
    expect(problems).toContain(`task set j1.0.0: attempt TID ${tids[1]} (index 1, attempt 0) does not follow TID ${tids[0]}`);
    t.previous[attemptSlot(t, tids[1]!)] = -1;
    m.lastAttempt[0] = tids[1]!;
    expect(checkDriverInvariants(s).join("\n")).toContain(
      `task set j1.0.0 index 0: its attempts list TID ${tids[1]}, which is no attempt of the index`,
    );
    m.lastAttempt[0] = tids[0]!;
    t.size = 5;
    expect(checkDriverInvariants(s).join("\n")).toContain("task set j1.0.0's attempts: the table counts 5 attempts but holds 2");
    t.size = 2;
    expect(checkDriverInvariants(s)).toEqual([]);
    t.index.push(-1);
    t.attemptNumber.push(-1);
    t.executorId.push("" as ExecutorId);
    t.host.push("");
    t.status.push("RUNNING");
    t.previous.push(-1);
    t.running.push(false);
    t.launchTimeMs.push(-1);
    expect(checkDriverInvariants(s).join("\n")).toContain(`empty slot of TID ${t.base + t.index.length - 1} holds an attempt's data`);
    t.status[t.status.length - 1] = null;
    t.index[t.index.length - 1] = 99;
    expect(checkDriverInvariants(s).join("\n")).toContain(`TID ${t.base + t.index.length - 1} has index 99 and status null`);
  });

  it("driver invariants: two live attempts of one index (I20 allows one extra copy; copiesRunning must count both)", () => {
    const { s, tids } = busy();
    const m = tsm(s);
    const t = m.attempts;
    // The second launch becomes a newer attempt of index 0.
    const second = attemptSlot(t, tids[1]!);
    t.index[second] = 0;
    t.attemptNumber[second] = 1;
    t.previous[second] = tids[0]!;
    m.lastAttempt[0] = tids[1]!;
    m.lastAttempt[1] = -1;
    m.copiesRunning[1] = 0;
    pushPending(m.pending, 1);
    expect(checkDriverInvariants(s)).toEqual(["task set j1.0.0 index 0: copiesRunning 1 != 2 live attempts"]);
  });
});
