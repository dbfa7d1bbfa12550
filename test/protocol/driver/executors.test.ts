import { describe, expect, it } from "vitest";
import { driver, EXPIRE_DEAD_HOSTS_TIMER } from "../../../src/protocol/driver/index.js";
import { MAX_EXECUTORS } from "../../../src/protocol/driver/state.js";
import {
  addExecutor,
  APP,
  command,
  deliver,
  eid,
  execAddr,
  ignoredWhy,
  launched,
  MASTER,
  messagesOf,
  newDriver,
  notes,
  registerExecutor,
  registeredDriver,
  running,
  sends,
  step,
  submit,
  T0,
  taskSet,
  timer,
} from "./fixtures.js";

describe("driver: executor registration (§1.5, SPARK-29287)", () => {
  it("driver: RegisterExecutor: records it with no free cores, starts its heartbeat clock, answers RegisteredExecutor", () => {
    const s = registeredDriver();
    const fx = registerExecutor(s, 1, 4);
    expect(s.backend.executors["1"]).toMatchObject({ address: execAddr(1), host: "host-1", totalCores: 4, freeCores: 0, launched: false });
    expect(s.backend).toMatchObject({ totalCoreCount: 4, totalRegisteredExecutors: 1, addressToExecutorId: { [execAddr(1)]: "1" } });
    expect(s.heartbeats.executorLastSeenMs["1"]).toBe(T0);
    expect(sends(fx)).toEqual([{ type: "send", to: execAddr(1), message: { type: "RegisteredExecutor" } }]);
  });

  it("driver: RegisterExecutor with a known id: RegisterExecutorFailed('Duplicate executor ID: 1') to the sender", () => {
    const s = registeredDriver();
    registerExecutor(s, 1);
    const fx = deliver(s, execAddr(9), {
      type: "RegisterExecutor",
      executorId: eid(1),
      executorAddress: execAddr(9),
      hostname: "h",
      cores: 2,
    });
    expect(sends(fx)).toEqual([
      { type: "send", to: execAddr(9), message: { type: "RegisterExecutorFailed", message: "Duplicate executor ID: 1" } },
    ]);
    expect(s.backend.totalRegisteredExecutors).toBe(1);
  });

  it("driver: RegisterExecutor beyond MAX_EXECUTORS is refused", () => {
    const s = registeredDriver();
    s.backend.totalRegisteredExecutors = MAX_EXECUTORS; // as if full: the fixture's invariant check would object, so call the reducer itself
    const out = driver.step(
      s,
      {
        type: "message",
        from: execAddr(1),
        message: { type: "RegisterExecutor", executorId: eid(1), executorAddress: execAddr(1), hostname: "h", cores: 2 },
      },
      { now: T0 },
    );
    expect(messagesOf(out, "RegisterExecutorFailed")[0]!.message).toMatch(/^Too many executors/);
  });

  it("driver: no task is offered before LaunchedExecutor (I27, SPARK-29287)", () => {
    const s = registeredDriver();
    registerExecutor(s, 1);
    const fx = submit(s, "j1", taskSet(2));
    expect(launched(fx)).toEqual([]);
    expect(launched(timer(s, "revive"))).toEqual([]);
  });

  it("driver: LaunchedExecutor: free cores become total cores and tasks are offered to it at once", () => {
    const s = registeredDriver();
    submit(s, "j1", taskSet(6));
    registerExecutor(s, 1, 4);
    const fx = deliver(s, execAddr(1), { type: "LaunchedExecutor", executorId: eid(1) });
    expect(launched(fx).map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(s.backend.executors["1"]!.freeCores).toBe(0);
  });

  it("driver: LaunchedExecutor from an unknown executor is ignored", () => {
    const s = registeredDriver();
    expect(ignoredWhy(deliver(s, execAddr(1), { type: "LaunchedExecutor", executorId: eid(1) }))).toEqual(["unknown-executor"]);
  });

  it("driver: a repeated LaunchedExecutor is ignored, so busy cores are not handed out twice (I22)", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    submit(s, "j1", taskSet(4));
    const fx = deliver(s, execAddr(1), { type: "LaunchedExecutor", executorId: eid(1) });
    expect(ignoredWhy(fx)).toEqual(["executor-already-launched"]);
    expect(launched(fx)).toEqual([]);
  });
});

describe("driver: executor removal (§1.5, §4.7)", () => {
  it("driver: RemoveExecutor from the executor: StopExecutor first, then its running tasks fail and are re-offered", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    addExecutor(s, 2, 1);
    const [t1, t2] = launched(submit(s, "j1", taskSet(2)));
    running(s, t1!);
    const on1 = t1!.executorId === eid(1) ? t1! : t2!;
    if (on1 !== t1) running(s, on1);
    const fx = deliver(s, execAddr(1), { type: "RemoveExecutor", executorId: eid(1), reason: "Executor self-exiting" });
    expect(fx[0]).toEqual({ type: "send", to: execAddr(1), message: { type: "StopExecutor" } });
    expect(notes(fx, "taskEnded")).toEqual([
      expect.objectContaining({
        taskId: on1.taskId,
        state: "FAILED",
        reason: expect.stringContaining("exited caused by one of the running tasks) Reason: Executor self-exiting"),
      }),
    ]);
    expect(notes(fx, "executorRemoved")).toEqual([{ kind: "executorRemoved", executorId: "1", reason: "Executor self-exiting" }]);
    expect(s.backend.executors["1"]).toBeUndefined();
    expect(s.heartbeats.executorLastSeenMs["1"]).toBeUndefined();
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[on1.index]).toBe(1);
  });

  it("driver: RemoveExecutor for an unknown executor: no StopExecutor, only a log", () => {
    const s = registeredDriver();
    const fx = deliver(s, execAddr(7), { type: "RemoveExecutor", executorId: eid(7), reason: "bye" });
    expect(sends(fx)).toEqual([]);
    expect(fx).toEqual([expect.objectContaining({ type: "log", event: "removeUnknownExecutor" })]);
  });

  it("driver: an executor's connection drops: removed as 'Remote RPC client disassociated', caused by the app", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    running(s, t!);
    const fx = step(s, { type: "peerDisconnected", peer: execAddr(1) });
    expect(sends(fx, "StopExecutor")).toEqual([]);
    expect(notes(fx, "executorRemoved")[0]!.reason).toMatch(/^Remote RPC client disassociated\./);
    expect(notes(fx, "taskEnded")[0]!.reason).toContain("caused by one of the running tasks");
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(1);
  });

  it("driver: a lost executor's attempt still launching (no RUNNING yet) is not the app's fault (3.x rule)", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    launched(submit(s, "j1", taskSet(1)));
    const fx = step(s, { type: "peerDisconnected", peer: execAddr(1) });
    expect(notes(fx, "taskEnded")[0]!.reason).toContain("exited unrelated to the running tasks");
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(0);
  });

  it("driver: an executor removed before any offer: the scheduler logs it as already removed", () => {
    const s = registeredDriver();
    registerExecutor(s, 1);
    const fx = step(s, { type: "peerDisconnected", peer: execAddr(1) });
    expect(fx).toContainEqual(expect.objectContaining({ type: "log", event: "executorAlreadyRemoved" }));
    expect(notes(fx, "executorRemoved")).toHaveLength(1);
  });

  it("driver: the lost executor's failed task is relaunched elsewhere with a fresh TID and the next attempt number", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    registerExecutor(s, 2, 1);
    deliver(s, execAddr(2), { type: "LaunchedExecutor", executorId: eid(2) });
    const fx = step(s, { type: "peerDisconnected", peer: execAddr(1) });
    const [again] = launched(fx);
    expect(again).toMatchObject({ index: 0, attemptNumber: 1, executorId: eid(2) });
    expect(again!.taskId).toBeGreaterThan(t!.taskId);
  });
});

describe("driver: ExecutorUpdated from the master (§1.4 reason rules)", () => {
  function withRunningTask() {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    running(s, t!);
    return s;
  }

  it("driver: EXITED with exit code 1: ExecutorExited caused by the app; StopExecutor then removal; the failure counts", () => {
    const s = withRunningTask();
    const fx = deliver(s, MASTER, {
      type: "ExecutorUpdated",
      execId: 1,
      state: "EXITED",
      message: "Command exited with code 1",
      exitStatus: 1,
    });
    expect(sends(fx, "StopExecutor")).toHaveLength(1);
    expect(notes(fx, "executorRemoved")).toEqual([{ kind: "executorRemoved", executorId: "1", reason: "Command exited with code 1" }]);
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(1);
  });

  it.each([56, 53])("driver: EXITED with exit code %i: not the app's fault, the failure does not count", (code) => {
    const s = withRunningTask();
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "EXITED", message: "m", exitStatus: code });
    expect(notes(fx, "taskEnded")[0]!.reason).toContain("unrelated to the running tasks");
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(0);
  });

  it("driver: LOST with a workerHost (worker lost): ExecutorProcessLost not caused by the app", () => {
    const s = withRunningTask();
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "LOST", message: "worker lost", workerHost: "host-1" });
    expect(notes(fx, "taskEnded")[0]!.reason).toContain("unrelated to the running tasks) Reason: worker lost");
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(0);
  });

  it("driver: KILLED with neither exit code nor worker host: ExecutorProcessLost caused by the app, with a reason that names the state (never empty text)", () => {
    const s = withRunningTask();
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "KILLED" });
    expect(notes(fx, "executorRemoved")).toEqual([{ kind: "executorRemoved", executorId: "1", reason: "executor KILLED" }]);
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(1);
  });

  it("driver: §7 item 22: the disconnect arrives before the worker-lost update, so the failure counts; the late update finds nothing", () => {
    const s = withRunningTask();
    step(s, { type: "peerDisconnected", peer: execAddr(1) });
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "LOST", message: "worker lost", workerHost: "host-1" });
    expect(fx).toContainEqual(expect.objectContaining({ event: "removeUnknownExecutor" }));
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(1);
  });
});

describe("driver: killing executors (§1.5 killExecutors)", () => {
  it("driver: killExecutors: idle known executors are marked killedByDriver and KillExecutors goes to the master", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    addExecutor(s, 2);
    const fx = command(s, { kind: "killExecutors", executorIds: ["1", "2", "1"] });
    expect(sends(fx).map((e) => e.message)).toEqual([
      { type: "RequestExecutors", appId: APP, requestedTotal: 0 },
      { type: "KillExecutors", appId: APP, executorIds: ["1", "2"] },
    ]);
    expect(s.backend.executorsPendingToRemove).toEqual({ "1": true, "2": true });
    // Being killed, they get no offers (I27).
    expect(launched(submit(s, "j1", taskSet(2)))).toEqual([]);
  });

  it("driver: killExecutors skips unknown, busy and already pending executors (SPARK-9552, SPARK-9795)", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    launched(submit(s, "j1", taskSet(1)));
    addExecutor(s, 2, 1);
    command(s, { kind: "killExecutors", executorIds: ["2"] });
    const fx = command(s, { kind: "killExecutors", executorIds: ["1", "2", "9"] });
    expect(sends(fx)).toEqual([]);
    expect(fx).toContainEqual(expect.objectContaining({ event: "killUnknownExecutor", fields: { executorId: "9" } }));
    expect(fx).toContainEqual(expect.objectContaining({ event: "noExecutorsToKill" }));
  });

  it("driver: with a requested total, killExecutors lowers it and sends RequestExecutors before KillExecutors", () => {
    const s = registeredDriver();
    command(s, { kind: "requestTotalExecutors", total: 2 });
    addExecutor(s, 1);
    const fx = command(s, { kind: "killExecutors", executorIds: ["1"] });
    expect(sends(fx).map((e) => e.message)).toEqual([
      { type: "RequestExecutors", appId: APP, requestedTotal: 1 },
      { type: "KillExecutors", appId: APP, executorIds: ["1"] },
    ]);
  });

  it("driver: with no target ever requested, killExecutors counts it as 0 and lowers it to 0 (never below), so the master does not replace them", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    expect(s.backend.requestedTotalExecutors).toBeNull();
    const fx = command(s, { kind: "killExecutors", executorIds: ["1"] });
    expect(sends(fx).map((e) => e.message)).toEqual([
      { type: "RequestExecutors", appId: APP, requestedTotal: 0 },
      { type: "KillExecutors", appId: APP, executorIds: ["1"] },
    ]);
    expect(s.backend.requestedTotalExecutors).toBe(0);
  });

  it("driver: a killed executor's loss is ExecutorKilled: its tasks' failures do not count", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    const [t] = launched(submit(s, "j1", taskSet(1)));
    running(s, t!);
    s.backend.executorsPendingToRemove["1"] = true; // as killExecutors(force) would
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "KILLED", exitStatus: 143 });
    expect(notes(fx, "executorRemoved")[0]!.reason).toBe("Executor killed by driver.");
    expect(notes(fx, "taskEnded")[0]!.reason).toContain("unrelated to the running tasks");
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[0]).toBe(0);
  });

  it("driver: killExecutors before registration marks them but only logs that there is no master", () => {
    const s = newDriver();
    addExecutor(s, 1);
    const fx = command(s, { kind: "killExecutors", executorIds: ["1"] });
    expect(sends(fx)).toEqual([]);
    expect(fx).toContainEqual(expect.objectContaining({ event: "noMasterYet" }));
  });
});

describe("driver: HeartbeatReceiver (§1.7)", () => {
  it("driver: ExecutorHeartbeat from a known executor: last seen now, HeartbeatResponse(false)", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    const fx = deliver(s, execAddr(1), { type: "ExecutorHeartbeat", executorId: eid(1) }, T0 + 10_000);
    expect(s.heartbeats.executorLastSeenMs["1"]).toBe(T0 + 10_000);
    expect(sends(fx)).toEqual([{ type: "send", to: execAddr(1), message: { type: "HeartbeatResponse", reregisterBlockManager: false } }]);
  });

  it("driver: ExecutorHeartbeat from an unknown executor: HeartbeatResponse(true) (SPARK-4134)", () => {
    const s = registeredDriver();
    const fx = deliver(s, execAddr(5), { type: "ExecutorHeartbeat", executorId: eid(5) });
    expect(messagesOf(fx, "HeartbeatResponse")).toEqual([{ type: "HeartbeatResponse", reregisterBlockManager: true }]);
    expect(s.heartbeats.executorLastSeenMs["5"]).toBeUndefined();
  });

  it("driver: expireDeadHosts: a silent executor is killed and replaced, stopped and removed, its tasks fail (SPARK-27348)", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 1);
    addExecutor(s, 2, 1);
    const tasks = launched(submit(s, "j1", taskSet(2)));
    for (const t of tasks) running(s, t);
    deliver(s, execAddr(2), { type: "ExecutorHeartbeat", executorId: eid(2) }, T0 + 100_000);
    const fx = timer(s, EXPIRE_DEAD_HOSTS_TIMER, T0 + 120_001);
    // Executor 2's only core is busy, so the failed task waits.
    expect(sends(fx).map((e) => [e.to, e.message.type])).toEqual([
      [MASTER, "KillExecutors"],
      [execAddr(1), "StopExecutor"],
    ]);
    expect(messagesOf(fx, "KillExecutors")).toEqual([{ type: "KillExecutors", appId: APP, executorIds: ["1"] }]);
    expect(notes(fx, "executorRemoved")).toEqual([
      { kind: "executorRemoved", executorId: "1", reason: "Executor heartbeat timed out after 120001 ms" },
    ]);
    // countFailures: the loss is not ExecutorKilled, and the running task's failure counts.
    const failedIndex = tasks.find((t) => t.executorId === eid(1))!.index;
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[failedIndex]).toBe(1);
    expect(s.heartbeats.executorLastSeenMs).toEqual({ "2": T0 + 100_000 });
    expect(fx).toContainEqual({ type: "setTimer", key: EXPIRE_DEAD_HOSTS_TIMER, afterMs: 60_000 });
  });

  it("driver: expireDeadHosts with everyone recent does nothing but re-arm", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    expect(timer(s, EXPIRE_DEAD_HOSTS_TIMER, T0 + 120_000)).toEqual([{ type: "setTimer", key: EXPIRE_DEAD_HOSTS_TIMER, afterMs: 60_000 }]);
  });
});
