/**
 * The worker's bug-museum switches (docs/protocol.md §7): each restores one historic behaviour when it
 * is named in `bugs`, and only then. The scenarios that show their consequences are in
 * scenarios/museum (test/sim/fuzz.test.ts).
 */
import { describe, expect, it } from "vitest";
import { executorStateSyncTimerKey, TIMER_REREGISTER } from "../../../src/protocol/worker/index.js";
import {
  APP,
  executorRef,
  exits,
  fromPeer,
  ignoredReasons,
  launchExecutor,
  M1,
  M2,
  registeredMessage,
  registeredWorker,
  sent,
  sentOfType,
  startWorker,
  step,
  timer,
  timersSet,
} from "./fixtures.js";

const FULL_ID = `${APP}/0`;

describe("worker: SPARK-27510 (RUNNING before the launch)", () => {
  it("worker: SPARK-27510 on: LaunchExecutor creates a RUNNING runner and reports RUNNING before the process exists", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-27510"] });
    const effects = step(state, fromPeer(M1, launchExecutor()));
    expect(state.executors[FULL_ID]).toMatchObject({ state: "RUNNING", killed: false });
    expect(effects.map((e) => e.type)).toEqual(["launch", "send", "setTimer"]);
    expect(sentOfType(effects, "ExecutorStateChanged")).toEqual([
      { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "RUNNING" },
    ]);
  });

  it("worker: SPARK-27510 on: the process start changes nothing; a failed launch still reports FAILED", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-27510"] });
    step(state, fromPeer(M1, launchExecutor()));
    const started = step(state, { type: "processLaunched", process: executorRef(0) });
    expect(started).toEqual([expect.objectContaining({ type: "log", level: "debug", event: "executor-started" })]);
    expect(sent(started)).toEqual([]);
    step(state, fromPeer(M1, launchExecutor({ execId: 1 })));
    const failed = step(state, { type: "processLaunchFailed", process: executorRef(1), error: "no java" });
    expect(sentOfType(failed, "ExecutorStateChanged")).toEqual([
      expect.objectContaining({ execId: 1, state: "FAILED", message: "no java" }),
    ]);
  });

  it("worker: SPARK-27510 on: a runner killed before its process starts still ignores the start", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-27510"] });
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 }));
    expect(ignoredReasons(step(state, { type: "processLaunched", process: executorRef(0) }))).toEqual(["wrong-runner-state"]);
  });

  it("worker: SPARK-27510 off: RUNNING is reported only when the process has started", () => {
    const state = registeredWorker();
    expect(sent(step(state, fromPeer(M1, launchExecutor())))).toEqual([]);
    expect(sentOfType(step(state, { type: "processLaunched", process: executorRef(0) }), "ExecutorStateChanged")).toEqual([
      expect.objectContaining({ state: "RUNNING" }),
    ]);
  });
});

describe("worker: SPARK-34245 (one-way ExecutorStateChanged)", () => {
  it("worker: SPARK-34245 on: a report is sent once, with no pending ask and no retry timer", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-34245"] });
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, { type: "processLaunched", process: executorRef(0) });
    expect(effects).toEqual([{ type: "send", to: M1, message: { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "RUNNING" } }]);
    const exited = step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    expect(sentOfType(exited, "ExecutorStateChanged")).toEqual([expect.objectContaining({ state: "EXITED", exitStatus: 0 })]);
    expect(timersSet(exited)).toEqual([]);
    expect(state.pendingExecutorStateSyncs).toEqual({});
    // The 3.2+ master still answers; with nothing pending the answer is ignored.
    expect(
      ignoredReasons(step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "EXITED" }))),
    ).toEqual(["no-pending-sync"]);
  });

  it("worker: SPARK-34245 off: the report stays pending with its ask timeout", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, { type: "processLaunched", process: executorRef(0) });
    expect(timersSet(effects)).toEqual([expect.objectContaining({ key: executorStateSyncTimerKey(FULL_ID) })]);
    expect(Object.keys(state.pendingExecutorStateSyncs)).toEqual([FULL_ID]);
  });
});

describe("worker: SPARK-4592 (every retry to every master)", () => {
  it("worker: SPARK-4592 on: a retry after losing a known master goes to every master again", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-4592"] });
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress)).toEqual([M1, M2]);
  });

  it("worker: SPARK-4592 off: the retry goes to the master it knew", () => {
    const state = registeredWorker();
    step(state, { type: "peerDisconnected", peer: M1 });
    expect(sentOfType(step(state, timer(TIMER_REREGISTER)), "RegisterWorker").map((m) => m.masterAddress)).toEqual([M1]);
  });
});

describe("worker: SPARK-13604 (no WorkerLatestState)", () => {
  it("worker: SPARK-13604 on: registering again reports nothing, so the master cannot kill what it forgot", () => {
    const state = registeredWorker({}, { bugs: ["SPARK-13604"] });
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, { type: "ReconnectWorker", masterUrl: M1 }));
    const effects = step(state, fromPeer(M1, registeredMessage(M1)));
    expect(state.registered).toBe(true);
    expect(sentOfType(effects, "WorkerLatestState")).toEqual([]);
    expect(sentOfType(effects, "Heartbeat")).toHaveLength(1);
  });

  it("worker: SPARK-13604 off: registering again reports the executors it runs", () => {
    const { state } = startWorker();
    step(state, fromPeer(M1, registeredMessage(M1)));
    step(state, fromPeer(M1, launchExecutor()));
    const effects = step(state, fromPeer(M1, registeredMessage(M1, true)));
    expect(sentOfType(effects, "WorkerLatestState")).toEqual([
      expect.objectContaining({ executors: [expect.objectContaining({ execId: 0 })] }),
    ]);
    expect(exits(effects)).toEqual([]);
  });
});
