import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/protocol/assert.js";
import { address } from "../../../src/protocol/ids.js";
import { executorStateSyncTimerKey } from "../../../src/protocol/worker/index.js";
import {
  APP,
  APP2,
  DRIVER_ADDRESS,
  executorRef,
  fromPeer,
  ignoredReasons,
  launchExecutor,
  M1,
  M2,
  registeredWorker,
  sent,
  sentOfType,
  startWorker,
  step,
  W,
} from "./fixtures.js";

describe("worker: LaunchExecutor", () => {
  it("worker: LaunchExecutor from the active master: creates a LAUNCHING runner, counts its resources, launches it", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, launchExecutor()));
    expect(state.executors[`${APP}/0`]).toEqual({ appId: APP, execId: 0, cores: 2, memoryMb: 1024, state: "LAUNCHING", killed: false });
    expect(state).toMatchObject({ coresUsed: 2, memoryUsed: 1024 });
    expect(effects).toEqual([
      {
        type: "launch",
        spec: {
          kind: "executor",
          appId: APP,
          execId: 0,
          cores: 2,
          memoryMb: 1024,
          appDesc: launchExecutor().appDesc,
          driverAddress: DRIVER_ADDRESS,
          workerAddress: W,
          workerId: state.workerId,
        },
      },
    ]);
    // No ExecutorStateChanged before the process really starts (SPARK-27510).
    expect(sent(effects)).toEqual([]);
  });

  it("worker: LaunchExecutor: the launch spec holds a fresh copy of the app description", () => {
    const state = registeredWorker();
    const message = launchExecutor();
    const effects = step(state, fromPeer(M1, message));
    const spec = (effects[0] as { spec: { appDesc: unknown } }).spec;
    expect(spec.appDesc).toEqual(message.appDesc);
    expect(spec.appDesc).not.toBe(message.appDesc);
  });

  it("worker: LaunchExecutor: never checks the worker's own capacity", () => {
    const state = registeredWorker({ cores: 2 });
    step(state, fromPeer(M1, launchExecutor({ execId: 0, cores: 2 })));
    step(state, fromPeer(M1, launchExecutor({ execId: 1, cores: 2 })));
    expect(state.coresUsed).toBe(4);
    expect(Object.keys(state.executors)).toHaveLength(2);
  });

  it("worker: LaunchExecutor from a stale master: dropped with no reply (§7 item 19)", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M2, launchExecutor({ masterUrl: M2 })));
    expect(ignoredReasons(effects)).toEqual(["not-from-active-master"]);
    expect(effects).toHaveLength(1);
    expect(state.executors).toEqual({});
  });

  it("worker: LaunchExecutor from the active master stamped with another master's URL: dropped as invalid-master", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, launchExecutor({ masterUrl: M2 })));
    expect(ignoredReasons(effects)).toEqual(["invalid-master"]);
    expect(effects).toHaveLength(1);
    expect(state.executors).toEqual({});
  });

  it("worker: LaunchExecutor before any master: refused, no master is active yet", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M1, launchExecutor()));
    expect(effects).toEqual([
      {
        type: "log",
        level: "warn",
        event: "ignored",
        fields: { why: "not-from-active-master", type: "LaunchExecutor", from: M1, expected: [] },
      },
    ]);
    expect(state.executors).toEqual({});
  });

  it("worker: LaunchExecutor delivered twice: the duplicate is ignored", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    expect(ignoredReasons(step(state, fromPeer(M1, launchExecutor())))).toEqual(["duplicate-executor"]);
    expect(state.coresUsed).toBe(2);
  });

  it("worker: LaunchExecutor for an executor that already finished: not launched again, its final state is reported again (as an ask) so the master stops waiting", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, { type: "processExited", process: executorRef(0), exitCode: 1 });
    step(state, { type: "message", from: M1, message: { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "EXITED" } });
    const effects = step(state, fromPeer(M1, launchExecutor()));
    expect(ignoredReasons(effects)).toEqual(["duplicate-finished-executor"]);
    expect(effects.filter((e) => e.type === "launch")).toEqual([]);
    expect(sent(effects, M1)).toEqual([
      { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "EXITED", message: "Command exited with code 1", exitStatus: 1 },
    ]);
    expect(effects).toContainEqual({ type: "setTimer", key: executorStateSyncTimerKey(`${APP}/0`), afterMs: 120_000 });
    expect(state.executors).toEqual({});
    expect(state).toMatchObject({ coresUsed: 0, memoryUsed: 0 });
  });
});

describe("worker: executor process events", () => {
  it("worker: processLaunched: the runner becomes RUNNING and reports it to the master as an ask", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, { type: "processLaunched", process: executorRef(0) });
    expect(state.executors[`${APP}/0`]!.state).toBe("RUNNING");
    expect(effects).toEqual([
      { type: "send", to: M1, message: { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "RUNNING" } },
      { type: "setTimer", key: executorStateSyncTimerKey(`${APP}/0`), afterMs: 120_000 },
    ]);
  });

  it("worker: processLaunchFailed: FAILED with the error, reported, and the runner's resources freed", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, { type: "processLaunchFailed", process: executorRef(0), error: "ENOENT: java" });
    expect(sentOfType(effects, "ExecutorStateChanged")).toEqual([
      { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "FAILED", message: "ENOENT: java" },
    ]);
    expect(state.executors).toEqual({});
    expect(state.finishedExecutors).toEqual([
      { appId: APP, execId: 0, cores: 2, memoryMb: 1024, state: "FAILED", message: "ENOENT: java" },
    ]);
    expect(state).toMatchObject({ coresUsed: 0, memoryUsed: 0 });
  });

  it("worker: processExited on its own: EXITED with 'Command exited with code N' and exitStatus N", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, { type: "processLaunched", process: executorRef(0) });
    const effects = step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    expect(sentOfType(effects, "ExecutorStateChanged")).toEqual([
      { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "EXITED", message: "Command exited with code 0", exitStatus: 0 },
    ]);
    expect(state.finishedExecutors[0]).toMatchObject({ state: "EXITED", exitStatus: 0 });
    expect(state.coresUsed).toBe(0);
  });

  it("worker: processExited after a kill: KILLED with the exit code as exitStatus", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, { type: "processLaunched", process: executorRef(0) });
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    const effects = step(state, { type: "processExited", process: executorRef(0), exitCode: 143 });
    expect(sentOfType(effects, "ExecutorStateChanged")).toEqual([
      { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "KILLED", exitStatus: 143 },
    ]);
  });

  it("worker: processLaunchFailed after a kill: reported KILLED, not FAILED", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    const effects = step(state, { type: "processLaunchFailed", process: executorRef(0), error: "interrupted" });
    expect(sentOfType(effects, "ExecutorStateChanged")).toEqual([expect.objectContaining({ state: "KILLED", message: "interrupted" })]);
  });

  it("worker: processLaunched after a kill: ignored, the runner stays KILLED", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    const effects = step(state, { type: "processLaunched", process: executorRef(0) });
    expect(ignoredReasons(effects)).toEqual(["wrong-runner-state"]);
    expect(state.executors[`${APP}/0`]!.state).toBe("KILLED");
  });

  it("worker: process events for an unknown executor: ignored as unknown-process", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, { type: "processLaunched", process: executorRef(9) }))).toEqual(["unknown-process"]);
    expect(ignoredReasons(step(state, { type: "processLaunchFailed", process: executorRef(9), error: "x" }))).toEqual(["unknown-process"]);
    expect(ignoredReasons(step(state, { type: "processExited", process: executorRef(9), exitCode: 1 }))).toEqual(["unknown-process"]);
  });

  it("worker: an executor finishing while no master is known: the report is dropped, the runner still finishes", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    state.masterAddress = null; // no ref to send to, as in Spark's sendToMaster with master = None
    const effects = step(state, { type: "processExited", process: executorRef(0), exitCode: 1 });
    expect(effects).toContainEqual(expect.objectContaining({ type: "log", event: "dropped-no-master" }));
    expect(sent(effects)).toEqual([]);
    expect(state.executors).toEqual({});
    expect(state.pendingExecutorStateSyncs).toEqual({});
  });

  it("worker: finished executors are bounded: above retainedExecutors the oldest tenth goes", () => {
    const state = registeredWorker({}, { retainedExecutors: 20 });
    for (let execId = 0; execId < 21; execId++) {
      step(state, fromPeer(M1, launchExecutor({ execId })));
      step(state, { type: "processExited", process: executorRef(execId), exitCode: 0 });
    }
    expect(state.finishedExecutors.map((e) => e.execId)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
  });

  it("worker: a runner move outside the lifecycle table is a programmer error", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    state.executors[`${APP}/0`]!.state = "EXITED"; // a broken invariant
    expect(() => step(state, { type: "processExited", process: executorRef(0), exitCode: 0 })).toThrow(AssertionError);
  });
});

describe("worker: KillExecutor", () => {
  it("worker: KillExecutor from the active master: KILLED at once, kill with the 10 s grace", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, { type: "processLaunched", process: executorRef(0) });
    const effects = step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    expect(effects).toEqual([{ type: "kill", process: executorRef(0), graceMs: 10_000 }]);
    expect(state.executors[`${APP}/0`]).toMatchObject({ state: "KILLED", killed: true });
    // Still counted until the process is gone.
    expect(state.coresUsed).toBe(2);
  });

  it("worker: KillExecutor from a stale master: refused", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, fromPeer(M2, { type: "KillExecutor", masterUrl: M2, appId: APP, execId: 0 }));
    expect(ignoredReasons(effects)).toEqual(["not-from-active-master"]);
    expect(state.executors[`${APP}/0`]!.killed).toBe(false);
  });

  it("worker: KillExecutor from the active master stamped with another master's URL: ignored as invalid-master", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M2, appId: APP, execId: 0 }));
    expect(ignoredReasons(effects)).toEqual(["invalid-master"]);
    expect(state.executors[`${APP}/0`]!.killed).toBe(false);
  });

  it("worker: KillExecutor for an unknown executor: ignored", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 3 }));
    expect(ignoredReasons(effects)).toEqual(["unknown-executor"]);
  });

  it("worker: KillExecutor twice: the second is ignored, one kill goes out", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    const effects = step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    expect(ignoredReasons(effects)).toEqual(["executor-already-killed"]);
    expect(effects.filter((e) => e.type === "kill")).toEqual([]);
  });
});

describe("worker: ApplicationFinished", () => {
  it("worker: ApplicationFinished for an app with no executor here: cleans up at once", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, { type: "ApplicationFinished", appId: APP }));
    expect(effects).toEqual([{ type: "cleanupApp", appId: APP }]);
    expect(state.finishedApps).toEqual({});
  });

  it("worker: ApplicationFinished while its executors run: cleanup waits for the last one to finish, once", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor({ execId: 0 })));
    step(state, fromPeer(M1, launchExecutor({ execId: 1 })));
    step(state, fromPeer(M1, launchExecutor({ appId: APP2, execId: 0 })));
    expect(step(state, fromPeer(M1, { type: "ApplicationFinished", appId: APP }))).toEqual([]);
    expect(state.finishedApps).toEqual({ [APP]: true });
    const first = step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    expect(first.filter((e) => e.type === "cleanupApp")).toEqual([]);
    const last = step(state, { type: "processExited", process: executorRef(1), exitCode: 0 });
    expect(last.filter((e) => e.type === "cleanupApp")).toEqual([{ type: "cleanupApp", appId: APP }]);
    expect(state.finishedApps).toEqual({});
    // Another app's executor finishing does not clean anything.
    const other = step(state, { type: "processExited", process: executorRef(0, APP2), exitCode: 0 });
    expect(other.filter((e) => e.type === "cleanupApp")).toEqual([]);
  });
});

describe("worker: stop command", () => {
  it("worker: stop: kills every executor runner and every driver runner (Spark's onStop)", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor({ execId: 0 })));
    step(state, fromPeer(M1, launchExecutor({ execId: 1 })));
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 1 }));
    step(
      state,
      fromPeer(M1, { type: "LaunchDriver", driverId: "driver-9" as never, desc: { cores: 1, memoryMb: 1, supervise: false, command: {} } }),
    );
    const effects = step(state, { type: "command", command: { kind: "stop" } });
    expect(effects).toEqual([
      { type: "kill", process: executorRef(0), graceMs: 10_000 },
      { type: "kill", process: { kind: "driver", driverId: "driver-9" }, graceMs: 10_000 },
    ]);
  });
});

describe("worker: unrelated addresses", () => {
  it("worker: a LaunchExecutor sent from elsewhere but naming the active master is refused (Spark checks the URL only)", () => {
    const state = registeredWorker();
    const somewhere = address("somewhere");
    const effects = step(state, fromPeer(somewhere, launchExecutor()));
    expect(effects).toEqual([
      {
        type: "log",
        level: "warn",
        event: "ignored",
        fields: { why: "not-from-active-master", type: "LaunchExecutor", from: somewhere, expected: [M1] },
      },
    ]);
    expect(state.executors).toEqual({});
    expect(state.coresUsed).toBe(0);
  });
});
