/**
 * Speculative execution (spark.speculation): the periodic check, its threshold, where and when a
 * copy launches, and how the two attempts of an index end.
 */
import { describe, expect, it } from "vitest";
import { checkDriverInvariants, SPECULATION_TIMER } from "../../../src/protocol/driver/index.js";
import type { DriverStep, TaskSetManagerState } from "../../../src/protocol/driver/state.js";
import { handleFailedTask, resourceOffer } from "../../../src/protocol/driver/taskSetManager.js";
import { resolveConfig, type ProtocolConfig, type TaskDescription } from "../../../src/protocol/index.js";
import {
  addExecutor,
  deliver,
  eid,
  execAddr,
  fail,
  finish,
  initDriver,
  launched,
  logEvents,
  messagesOf,
  notes,
  registeredDriver,
  running,
  step,
  submit,
  T0,
  taskSet,
  timer,
} from "./fixtures.js";

const SPECULATING: Partial<ProtocolConfig> = { speculation: true };

/** `n` tasks on `n` one-core executors (host-1..host-n), all launched at T0; the launched tasks by index. */
function busy(n: number, overrides: Partial<ProtocolConfig> = {}) {
  const s = registeredDriver({ ...SPECULATING, ...overrides });
  for (let i = 1; i <= n; i++) addExecutor(s, i, 1);
  const tasks = launched(submit(s, "j1", taskSet(n))).sort((a, b) => a.index - b.index);
  expect(tasks).toHaveLength(n);
  for (const t of tasks) running(s, t);
  return { s, tsm: s.scheduler.taskSets["j1.0.0"]!, tasks };
}

const copiesOf = (tsm: TaskSetManagerState, index: number) => tsm.copiesRunning[index];

/**
 * Four tasks; indices 0 and 1 succeed after 100 ms (median 100, threshold 150 ms); indices 2 and 3
 * are still running at 400 ms, when the check marks them and their copies take the two free cores.
 */
function speculated(overrides: Partial<ProtocolConfig> = {}) {
  const { s, tsm, tasks } = busy(4, { speculationQuantile: 0.5, ...overrides });
  finish(s, tasks[0]!, "r0", 10, T0 + 100);
  finish(s, tasks[1]!, "r1", 10, T0 + 100);
  const fx = timer(s, SPECULATION_TIMER, T0 + 400);
  const copies = launched(fx).sort((a, b) => a.index - b.index);
  return { s, tsm, tasks, fx, copies };
}

describe("driver: speculation config", () => {
  it("driver: speculation is off by default: no speculation timer, and a slow task never gets a copy", () => {
    expect(resolveConfig().speculation).toBe(false);
    expect(initDriver().effects.some((e) => e.type === "setTimer" && e.key === SPECULATION_TIMER)).toBe(false);
    const { s, tasks } = busy(4, { speculation: false, speculationQuantile: 0.5 });
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    finish(s, tasks[1]!, "r1", 10, T0 + 100);
    // Even a stray speculation timer finds nothing: no duration was recorded while speculation was off.
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 10_000))).toEqual([]);
  });

  it("driver: with speculation on, the check runs every speculationIntervalMs and re-arms itself", () => {
    expect(initDriver({ speculation: true, speculationIntervalMs: 250 }).effects).toContainEqual({
      type: "setTimer",
      key: SPECULATION_TIMER,
      afterMs: 250,
    });
    const s = registeredDriver({ speculation: true, speculationIntervalMs: 250 });
    expect(timer(s, SPECULATION_TIMER, T0 + 250)).toContainEqual({ type: "setTimer", key: SPECULATION_TIMER, afterMs: 250 });
  });

  it("driver: config refuses a speculation quantile above 1 and a non-positive interval", () => {
    expect(() => resolveConfig({ speculationQuantile: 1.5 })).toThrow(/speculationQuantile must be at most 1/);
    expect(() => resolveConfig({ speculationIntervalMs: 0 })).toThrow(/speculationIntervalMs must be positive/);
    expect(() => resolveConfig({ speculationMultiplier: -1 })).toThrow(/speculationMultiplier must not be negative/);
  });
});

describe("driver: checkSpeculatableTasks (§4.2)", () => {
  it("driver: a task running longer than multiplier x median successful duration gets one copy, on another host", () => {
    const { s, tsm, tasks, fx, copies } = speculated();
    expect(logEvents(fx).filter((e) => e === "taskSpeculatable")).toHaveLength(2);
    expect(copies.map((c) => c.index)).toEqual([2, 3]);
    for (const copy of copies) {
      const original = tasks[copy.index]!;
      expect(copy.attemptNumber).toBe(1);
      expect(copy.executorId).not.toBe(original.executorId);
      expect(s.backend.executors[copy.executorId]!.host).not.toBe(s.backend.executors[original.executorId]!.host);
      expect(copiesOf(tsm, copy.index)).toBe(2);
    }
    expect(logEvents(fx).filter((e) => e === "speculativeTaskLaunched")).toHaveLength(2);
    expect(tsm.speculatableQueue).toEqual([]);
  });

  it("driver: at most one extra copy: a later check does not mark an index with two copies running", () => {
    const { s } = speculated();
    addExecutor(s, 5, 1, T0 + 400);
    const fx = timer(s, SPECULATION_TIMER, T0 + 5_000);
    expect(logEvents(fx)).not.toContain("taskSpeculatable");
    expect(launched(fx)).toEqual([]);
  });

  it("driver: nothing is speculated before speculationQuantile of the tasks succeeded", () => {
    const { s, tsm, tasks } = busy(4); // quantile 0.75: 3 of 4 must succeed
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    finish(s, tasks[1]!, "r1", 10, T0 + 100);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 60_000))).toEqual([]);
    finish(s, tasks[2]!, "r2", 10, T0 + 60_000);
    const copies = launched(timer(s, SPECULATION_TIMER, T0 + 60_100));
    expect(copies.map((c) => c.index)).toEqual([3]);
    expect(copiesOf(tsm, 3)).toBe(2);
  });

  it("driver: a task is speculated only once it has run strictly longer than the threshold", () => {
    const { s, tasks } = busy(4, { speculationQuantile: 0.5 });
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    finish(s, tasks[1]!, "r1", 10, T0 + 300); // durations 100 and 300: median 200, threshold 300
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 300))).toEqual([]);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 301)).map((c) => c.index)).toEqual([2, 3]);
  });

  it("driver: the multiplier scales the median (2 x 100 ms: speculated after 200 ms, not at 150)", () => {
    const { s, tasks } = busy(4, { speculationQuantile: 0.5, speculationMultiplier: 2 });
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    finish(s, tasks[1]!, "r1", 10, T0 + 100);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 200))).toEqual([]);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 201))).toHaveLength(2);
  });

  it("driver: speculationMinTaskRuntimeMs bounds the threshold from below", () => {
    const { s, tasks } = busy(4, { speculationQuantile: 0.5, speculationMinTaskRuntimeMs: 1_000 });
    finish(s, tasks[0]!, "r0", 10, T0 + 10);
    finish(s, tasks[1]!, "r1", 10, T0 + 10); // 1.5 x 10 ms = 15 ms, below the minimum
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 1_000))).toEqual([]);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 1_001))).toHaveLength(2);
  });

  it("driver: a task set of one task is never speculated", () => {
    const { s, tasks } = busy(1, { speculationQuantile: 0 });
    addExecutor(s, 2, 1);
    expect(launched(timer(s, SPECULATION_TIMER, T0 + 600_000))).toEqual([]);
    expect(s.scheduler.taskSets["j1.0.0"]!.speculatableQueue).toEqual([]);
    finish(s, tasks[0]!);
  });

  it("driver: a marked index waits for an offer from a host none of its attempts ran on", () => {
    const { s, tsm, tasks } = busy(2, { speculationQuantile: 0.5 });
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    // Only the host of the slow attempt has free cores: a second executor on that same host.
    const slow = tasks[1]!;
    const host = s.backend.executors[slow.executorId]!.host;
    deliver(s, execAddr(7), { type: "RegisterExecutor", executorId: eid(7), executorAddress: execAddr(7), hostname: host, cores: 1 });
    deliver(s, execAddr(7), { type: "LaunchedExecutor", executorId: eid(7) });
    // The free core of the executor whose task finished is on a host index 0 ran on, not index 1: it takes the copy.
    const first = launched(timer(s, SPECULATION_TIMER, T0 + 400));
    expect(first.map((c) => [c.index, c.executorId])).toEqual([[1, tasks[0]!.executorId]]);
    expect(first[0]!.executorId).not.toBe(eid(7));
    expect(copiesOf(tsm, 1)).toBe(2);
  });

  it("driver: an offer only from the slow attempt's host leaves the index marked; another host's offer takes it", () => {
    const { s, tsm, tasks } = busy(2, { speculationQuantile: 0.5 });
    // Index 0 ends on its host, and that executor leaves: only index 1's host is left.
    finish(s, tasks[0]!, "r0", 10, T0 + 100);
    step(s, { type: "peerDisconnected", peer: execAddr(Number(tasks[0]!.executorId)) }, T0 + 100);
    const slow = tasks[1]!;
    const host = s.backend.executors[slow.executorId]!.host;
    deliver(s, execAddr(7), { type: "RegisterExecutor", executorId: eid(7), executorAddress: execAddr(7), hostname: host, cores: 1 });
    deliver(s, execAddr(7), { type: "LaunchedExecutor", executorId: eid(7) });
    const fx = timer(s, SPECULATION_TIMER, T0 + 400);
    expect(logEvents(fx)).toContain("taskSpeculatable");
    expect(launched(fx)).toEqual([]);
    expect(tsm.speculatableQueue).toEqual([1]);
    // An executor on a new host: its first offer takes the copy.
    const copy = launched(addExecutor(s, 8, 1, T0 + 500));
    expect(copy.map((c) => [c.index, c.executorId])).toEqual([[1, eid(8)]]);
    expect(tsm.speculatableQueue).toEqual([]);
    expect(tsm.speculatable).toEqual({});
  });

  it("driver: a pending index is offered before a speculative copy", () => {
    const { s, tsm, tasks } = busy(3, { speculationQuantile: 0.34 });
    tsm.speculatable[0] = true;
    tsm.speculatableQueue.push(0);
    const d: DriverStep = { s, now: T0 + 1_000, fx: [], reviveRequested: false, dagEvents: [] };
    handleFailedTask(d, tsm, tasks[1]!.taskId, "FAILED", { kind: "ExceptionFailure", message: "x", notSerializable: false });
    const offer = (): TaskDescription | null => resourceOffer(d, tsm, eid(9), "host-9");
    expect(offer()?.index).toBe(1);
    expect(offer()?.index).toBe(0);
    expect(offer()).toBeNull();
    expect(copiesOf(tsm, 0)).toBe(2);
  });

  it("driver: a marked index that succeeded before an offer reached it is dropped, not copied", () => {
    const { s, tsm, tasks } = busy(2, { speculationQuantile: 0.5 });
    tsm.speculatable[1] = true;
    tsm.speculatableQueue.push(1);
    finish(s, tasks[0]!); // its core is offered, and takes the copy of the marked index 1
    expect(copiesOf(tsm, 1)).toBe(2);
    const again = busy(2, { speculationQuantile: 0.5 });
    again.tsm.speculatable[1] = true;
    again.tsm.speculatableQueue.push(1);
    const d: DriverStep = { s: again.s, now: T0, fx: [], reviveRequested: false, dagEvents: [] };
    again.tsm.successful[1] = true; // as if index 1 had just succeeded
    expect(resourceOffer(d, again.tsm, eid(9), "host-9")).toBeNull();
    expect(again.tsm.speculatableQueue).toEqual([]);
    expect(again.tsm.speculatable).toEqual({});
  });
});

describe("driver: speculation's bookkeeping (checkDriverInvariants)", () => {
  it("driver invariants: the speculatable list must be the marked set, each once, and empty while speculation is off", () => {
    const { s, tsm } = busy(3, { speculationQuantile: 0.5 });
    tsm.speculatableQueue.push(1);
    expect(checkDriverInvariants(s)).toEqual(["task set j1.0.0: the speculatable list [1] and set differ"]);
    tsm.speculatable[1] = true;
    expect(checkDriverInvariants(s)).toEqual([]);
    tsm.speculatableQueue.push(1);
    expect(checkDriverInvariants(s)).toEqual(["task set j1.0.0: the speculatable list [1, 1] and set differ"]);
    tsm.speculatableQueue.pop();
    s.protocol = { ...s.protocol, speculation: false };
    expect(checkDriverInvariants(s)).toEqual(["task set j1.0.0: tasks marked speculatable while speculation is off"]);
    s.protocol = { ...s.protocol, speculation: true };
    tsm.pending.head = tsm.pending.items.length + 1;
    expect(checkDriverInvariants(s)).toEqual(["task set j1.0.0: the pending queue's head is past its end"]);
  });
});

describe("driver: two attempts of one index end (§4.5, §4.6)", () => {
  it("driver: the copy succeeds: the original gets KillTask (interrupting), and its KILLED neither counts nor requeues", () => {
    const { s, tsm, tasks, copies } = speculated();
    const copy = copies[0]!;
    const original = tasks[copy.index]!;
    const fx = finish(s, copy, "c", 10, T0 + 500);
    expect(messagesOf(fx, "KillTask")).toEqual([
      {
        type: "KillTask",
        taskId: original.taskId,
        executorId: original.executorId,
        interruptThread: true,
        reason: "another attempt succeeded",
      },
    ]);
    expect(tsm.killedByOtherAttempt).toEqual({ [original.taskId]: true });
    const killed = fail(s, original, { kind: "killed", reason: "another attempt succeeded" }, "KILLED", T0 + 510);
    expect(notes(killed, "taskEnded")).toEqual([expect.objectContaining({ taskId: original.taskId, state: "KILLED" })]);
    expect(tsm.numFailures[copy.index]).toBe(0);
    expect(tsm.successful[copy.index]).toBe(true);
    expect(launched(killed)).toEqual([]);
  });

  it("driver: the original succeeds first: the copy is killed; both ends leave the job with one result per index", () => {
    const { s, tsm, tasks, copies } = speculated();
    for (const copy of copies) {
      const fx = finish(s, tasks[copy.index]!, `r${copy.index}`, 10, T0 + 500);
      expect(messagesOf(fx, "KillTask").map((k) => k.taskId)).toEqual([copy.taskId]);
    }
    expect(tsm.isZombie).toBe(true);
    expect(s.scheduler.pool).toEqual(["j1.0.0"]);
    // The copies finish anyway: "did not commit", and the task set leaves the pool.
    finish(s, copies[0]!, "late", 10, T0 + 600);
    const last = finish(s, copies[1]!, "late", 10, T0 + 600);
    expect(notes(last, "taskEnded")).toEqual([
      expect.objectContaining({ state: "KILLED", reason: "TaskKilled (Finish but did not commit due to another attempt succeeded)" }),
    ]);
    expect(s.scheduler.pool).toEqual([]);
  });

  it("driver: a killed copy's later failure never counts toward taskMaxFailures (even at 1: no abort of a stage whose index succeeded)", () => {
    const { s, tsm, tasks, copies } = speculated({ taskMaxFailures: 1 });
    const copy = copies[0]!;
    const original = tasks[copy.index]!;
    finish(s, copy, "c", 10, T0 + 500);
    // The original's executor is lost after the kill was sent: an ExecutorLostFailure caused by the app.
    const fx = step(s, { type: "peerDisconnected", peer: execAddr(Number(original.executorId)) }, T0 + 510);
    expect(notes(fx, "taskEnded")).toEqual([expect.objectContaining({ taskId: original.taskId, state: "FAILED" })]);
    expect(tsm.numFailures[copy.index]).toBe(0);
    expect(tsm.isZombie).toBe(false);
    expect(notes(fx, "jobFailed")).toEqual([]);
  });

  it("driver: a copy that fails while the original runs counts like any failure, and the index is not requeued while the original runs", () => {
    const { s, tsm, copies } = speculated();
    const copy = copies[0]!;
    const fx = fail(s, copy, { kind: "exception", message: "boom" }, "FAILED", T0 + 500);
    expect(tsm.numFailures[copy.index]).toBe(1);
    expect(copiesOf(tsm, copy.index)).toBe(1);
    // Requeued (Spark's addPendingTask), but a pending entry with a copy running is skipped: no second normal attempt.
    expect(launched(fx)).toEqual([]);
  });
});
