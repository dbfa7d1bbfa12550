/**
 * D14, D15 and I29 (src/sim/invariants/driver-removals.ts): the driver's executor kills and
 * removals, each fed a history that holds and one that breaks it; D16 and D17
 * (src/sim/invariants/driver-task-outcomes.ts): what the driver tells of its tasks' ends.
 */
import { describe, expect, it } from "vitest";
import type { DriverRoleState } from "../../src/protocol/driver/state.js";
import type { Effect, Input } from "../../src/protocol/index.js";
import { checkRemovals, D14, D15, I29, newRemovalLedger } from "../../src/sim/invariants/driver-removals.js";
import { checkTaskOutcomes, D16, D17, type AcceptedResultBytes } from "../../src/sim/invariants/driver-task-outcomes.js";
import { TidLedger } from "../../src/sim/invariants/dense.js";
import type { Report } from "../../src/sim/invariants/report.js";

const collect = (): { report: Report; checks: string[]; details: string[] } => {
  const checks: string[] = [];
  const details: string[] = [];
  return { checks, details, report: (check, detail) => void (checks.push(check), details.push(detail)) };
};

const state = (pending: Record<string, boolean> = {}, maxResultSizeBytes = 0): DriverRoleState =>
  ({ backend: { executorsPendingToRemove: pending }, protocol: { maxResultSizeBytes } }) as unknown as DriverRoleState;

const userKill = (...ids: string[]): Input => ({ type: "command", command: { kind: "killExecutors", executorIds: ids as never } });
const timer: Input = { type: "timer", key: "heartbeat-expiry" as never };
const killSent = (...ids: string[]): Effect => ({
  type: "send",
  to: "master-1" as never,
  message: { type: "KillExecutors", appId: "app-1" as never, executorIds: ids as never },
});
const removed = (executorId: string, reason: string): Effect => ({
  type: "notify",
  notification: { kind: "executorRemoved", executorId, reason },
});
const launch = (taskId: number, executorId: string): Effect => ({
  type: "send",
  to: `exec-${executorId}` as never,
  message: { type: "LaunchTask", task: { taskId, executorId, taskSetId: "j.0.0", index: 0 } } as never,
});
const finalUpdate = (taskId: number, executorId: string): Input => ({
  type: "message",
  from: `exec-${executorId}` as never,
  message: { type: "StatusUpdate", executorId, taskId, state: "FINISHED", data: { kind: "result", value: 1, sizeBytes: 10 } } as never,
});
const exited: Input = { type: "message", from: "master-1" as never, message: { type: "ExecutorUpdated" } as never };
const KILLED = "Executor killed by driver.";

describe("D14: a user-killed executor is removed as the driver's kill, and no other is", () => {
  it("holds: the user's kill is reported as the driver's kill, a heartbeat kill keeps its own reason", () => {
    const led = newRemovalLedger();
    const ok = collect();
    checkRemovals("drv", state(), led, userKill("1"), [killSent("1")], ok.report);
    checkRemovals("drv", state(), led, exited, [removed("1", KILLED)], ok.report);
    checkRemovals("drv", state(), led, timer, [killSent("2"), removed("2", "Executor heartbeat timed out after 130000 ms")], ok.report);
    checkRemovals("drv", state(), led, exited, [removed("3", "Command exited with code 1")], ok.report);
    expect(ok.checks).toEqual([]);
  });

  it("a user-killed executor removed with the master's reason (its lost attempts would count) is caught", () => {
    const led = newRemovalLedger();
    const broken = collect();
    checkRemovals("drv", state(), led, userKill("1"), [killSent("1")], broken.report);
    checkRemovals("drv", state(), led, exited, [removed("1", "executor KILLED")], broken.report);
    expect(broken.checks).toEqual([D14]);
    expect(broken.details[0]).toMatch(/executor 1, which the user's killExecutors killed, removed for "executor KILLED"/);
  });

  it("an executor removed as the driver's kill that only a heartbeat timeout killed (its failures count) is caught", () => {
    const led = newRemovalLedger();
    const broken = collect();
    checkRemovals("drv", state(), led, timer, [killSent("2"), removed("2", KILLED)], broken.report);
    expect(broken.checks).toEqual([D14]);
  });

  it("a user kill with no master to tell is read from the executors it left pending", () => {
    const led = newRemovalLedger();
    const noMaster: Effect = { type: "log", level: "warn", event: "noMasterYet", fields: { what: "KillExecutors" } };
    const ok = collect();
    checkRemovals("drv", state({ "1": true }), led, userKill("1"), [noMaster], ok.report);
    checkRemovals("drv", state(), led, exited, [removed("1", KILLED)], ok.report);
    expect(ok.checks).toEqual([]);
  });
});

describe("D15: the driver asks the master to kill an executor once", () => {
  it("a second KillExecutors for an executor still being killed is caught; after its removal the id is free again", () => {
    const led = newRemovalLedger();
    const r = collect();
    checkRemovals("drv", state(), led, userKill("1"), [killSent("1")], r.report);
    expect(r.checks).toEqual([]);
    checkRemovals("drv", state(), led, userKill("1", "2"), [killSent("1", "2")], r.report);
    expect(r.checks).toEqual([D15]);
    expect(r.details[0]).toBe("drv asked the master again to kill executor 1, which it is already killing");
    checkRemovals("drv", state(), led, exited, [removed("1", KILLED)], r.report);
    checkRemovals("drv", state(), led, userKill("1"), [killSent("1")], r.report);
    expect(r.checks).toEqual([D15]);
  });
});

describe("I29: the user's killExecutors spares busy executors (by the attempts the driver sent there)", () => {
  it("a kill of an executor running a TID the driver launched there is caught, whatever the scheduler's maps say", () => {
    const led = newRemovalLedger();
    const r = collect();
    checkRemovals("drv", state(), led, null, [launch(7, "1")], r.report);
    checkRemovals("drv", state(), led, userKill("1", "2"), [killSent("1", "2")], r.report);
    expect(r.checks).toEqual([I29]);
    expect(r.details[0]).toMatch(/kill executor 1, which runs TID 7/);
  });

  it("holds once the TID's final update came from that executor, or for a kill that is not the user's", () => {
    const led = newRemovalLedger();
    const r = collect();
    checkRemovals("drv", state(), led, null, [launch(7, "1"), launch(8, "2")], r.report);
    checkRemovals("drv", state(), led, timer, [killSent("2"), removed("2", "Executor heartbeat timed out after 130000 ms")], r.report);
    checkRemovals("drv", state(), led, finalUpdate(7, "1"), [], r.report);
    checkRemovals("drv", state(), led, userKill("1"), [killSent("1")], r.report);
    expect(r.checks).toEqual([]);
  });
});

describe("D16: a failed attempt says why", () => {
  const ended = (state: string, reason: string | undefined): Effect => ({
    type: "notify",
    notification: { kind: "taskEnded", jobId: "j" as never, taskId: 3 as never, index: 0, state: state as never, reason },
  });
  it("holds for a kill that says why; a kill with an empty why, or a failure with no reason, is caught", () => {
    const r = collect();
    const led: AcceptedResultBytes = new Map();
    checkTaskOutcomes("drv", state(), new TidLedger(), led, null, [ended("KILLED", "TaskKilled (Stage cancelled)")], r.report);
    expect(r.checks).toEqual([]);
    checkTaskOutcomes("drv", state(), new TidLedger(), led, null, [ended("KILLED", "TaskKilled ()")], r.report);
    checkTaskOutcomes("drv", state(), new TidLedger(), led, null, [ended("FAILED", "")], r.report);
    expect(r.checks).toEqual([D16, D16]);
  });
});

describe("D17: a job succeeds only with its accepted results within maxResultSizeBytes", () => {
  const success = (taskId: number): Effect => ({
    type: "notify",
    notification: { kind: "taskEnded", jobId: "j" as never, taskId: taskId as never, index: taskId, state: "FINISHED" },
  });
  const result = (taskId: number, sizeBytes: number): Input => ({
    type: "message",
    from: "exec-1" as never,
    message: { type: "StatusUpdate", executorId: "1", taskId, state: "FINISHED", data: { kind: "result", value: 1, sizeBytes } } as never,
  });
  const succeeded: Effect = { type: "notify", notification: { kind: "jobSucceeded", jobId: "j" as never, results: [1, 1] } };
  const run = (sizes: number[]): string[] => {
    const tids = new TidLedger();
    sizes.forEach((_, taskId) => tids.launch(taskId, "j.0.0", taskId, "1"));
    const led: AcceptedResultBytes = new Map();
    const r = collect();
    const s = state({}, 1000);
    sizes.forEach((size, taskId) => checkTaskOutcomes("drv", s, tids, led, result(taskId, size), [success(taskId)], r.report));
    checkTaskOutcomes("drv", s, tids, led, null, [succeeded], r.report);
    return r.checks;
  };
  it("holds at the limit; a job that succeeds past it is caught", () => {
    expect(run([500, 500])).toEqual([]);
    expect(run([500, 501])).toEqual([D17]);
  });
});
