import { describe, expect, it } from "vitest";
import { executorStateSyncTimerKey } from "../../../src/protocol/worker/index.js";
import type { WorkerState } from "../../../src/protocol/worker/index.js";
import {
  APP,
  executorRef,
  exits,
  fromPeer,
  ignoredReasons,
  launchExecutor,
  M1,
  M2,
  registeredWorker,
  sent,
  sentOfType,
  step,
  timer,
} from "./fixtures.js";

const FULL_ID = `${APP}/0`;
const SYNC_KEY = executorStateSyncTimerKey(FULL_ID);

/** A registered worker whose executor 0 just reported RUNNING (pending at the master). */
function runningExecutor(maxAttempts = 5): WorkerState {
  const state = registeredWorker({}, { executorStateSyncMaxAttempts: maxAttempts });
  step(state, fromPeer(M1, launchExecutor()));
  step(state, { type: "processLaunched", process: executorRef(0) });
  return state;
}

describe("worker: ExecutorStateChanged ask [3.2+]", () => {
  it("worker: a report stays pending per full id until the master answers", () => {
    const state = runningExecutor();
    expect(state.pendingExecutorStateSyncs[FULL_ID]).toEqual({
      message: { type: "ExecutorStateChanged", appId: APP, execId: 0, state: "RUNNING" },
      failures: 0,
    });
  });

  it("worker: ExecutorStateChangedResponse: clears the pending report and its timer", () => {
    const state = runningExecutor();
    const effects = step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" }));
    expect(effects).toEqual([{ type: "cancelTimer", key: SYNC_KEY }]);
    expect(state.pendingExecutorStateSyncs).toEqual({});
  });

  it("worker: ExecutorStateChangedResponse with nothing pending: ignored", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" }));
    expect(ignoredReasons(effects)).toEqual(["no-pending-sync"]);
  });

  it("worker: ask timeout: counts a failure and re-sends the same report to the current master", () => {
    const state = runningExecutor();
    const effects = step(state, timer(SYNC_KEY), 120_000);
    expect(state.pendingExecutorStateSyncs[FULL_ID]!.failures).toBe(1);
    expect(sent(effects, M1)).toEqual([{ type: "ExecutorStateChanged", appId: APP, execId: 0, state: "RUNNING" }]);
    expect(effects).toContainEqual({ type: "setTimer", key: SYNC_KEY, afterMs: 120_000 });
  });

  it("worker: ask timeout after a master change: the retry goes to the new master", () => {
    const state = runningExecutor();
    step(state, fromPeer(M2, { type: "MasterChanged", masterAddress: M2 }));
    const effects = step(state, timer(SYNC_KEY));
    expect(sentOfType(effects, "ExecutorStateChanged")).toHaveLength(1);
    expect(sent(effects, M2)).toHaveLength(1);
  });

  it("worker: executorStateSyncMaxAttempts failures: the worker exits with code 1 (SPARK-34245)", () => {
    const state = runningExecutor(5);
    for (let i = 1; i <= 4; i++) expect(exits(step(state, timer(SYNC_KEY)))).toEqual([]);
    const effects = step(state, timer(SYNC_KEY));
    expect(exits(effects)).toEqual([{ type: "exit", code: 1, reason: expect.stringContaining("5 times") }]);
    expect(sent(effects)).toEqual([]);
  });

  it("worker: a success resets the failure counter", () => {
    const state = runningExecutor(3);
    step(state, timer(SYNC_KEY));
    step(state, timer(SYNC_KEY));
    step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" }));
    step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    step(state, timer(SYNC_KEY));
    expect(state.pendingExecutorStateSyncs[FULL_ID]!.failures).toBe(1);
  });

  it("worker: a newer report replaces a pending one and keeps its failure count", () => {
    const state = runningExecutor();
    step(state, timer(SYNC_KEY));
    const effects = step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    expect(state.pendingExecutorStateSyncs[FULL_ID]).toEqual({
      message: expect.objectContaining({ state: "EXITED", exitStatus: 0 }),
      failures: 1,
    });
    expect(effects).toContainEqual({ type: "setTimer", key: SYNC_KEY, afterMs: 120_000 });
  });

  it("worker: the answer to a superseded report resets the counter but keeps the newer report pending", () => {
    const state = runningExecutor();
    step(state, timer(SYNC_KEY));
    step(state, { type: "processExited", process: executorRef(0), exitCode: 0 });
    const effects = step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" }));
    expect(effects).toEqual([expect.objectContaining({ type: "log", event: "superseded-sync-answered" })]);
    expect(state.pendingExecutorStateSyncs[FULL_ID]).toMatchObject({ failures: 0, message: { state: "EXITED" } });
  });

  it("worker: a sync timer with nothing pending: stale", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, timer(SYNC_KEY)))).toEqual(["stale-timer"]);
  });

  it("worker: a sync retry with no master known (broken state): drops the report with a log", () => {
    const state = runningExecutor();
    state.masterAddress = null;
    const effects = step(state, timer(SYNC_KEY));
    expect(effects).toContainEqual(expect.objectContaining({ type: "log", event: "dropped-no-master" }));
    expect(sent(effects)).toEqual([]);
    expect(state.pendingExecutorStateSyncs).toEqual({});
  });
});
