import { produce, setAutoFreeze } from "immer";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/protocol/assert.js";
import { executor, HEARTBEAT_FAILURE_EXIT_CODE, TIMER_HEARTBEAT, type ExecutorBackendState } from "../../../src/protocol/executor/index.js";
import { exitOnce } from "../../../src/protocol/executor/lifecycle.js";
import type { Command, Effect, Input } from "../../../src/protocol/io.js";
import { jobId } from "../../../src/protocol/ids.js";
import { MESSAGE_TYPES, type Message } from "../../../src/protocol/messages.js";
import {
  constructedExecutor,
  DRIVER,
  EXEC_ID,
  exits,
  fromDriver,
  fromPeer,
  ignoredReasons,
  launchTask,
  sent,
  startExecutor,
  step,
  STRANGER,
  timer,
  WORKER,
} from "./fixtures.js";

describe("executor: heartbeater", () => {
  it("executor: heartbeat tick: sends ExecutorHeartbeat to the driver and re-arms every interval", () => {
    const state = constructedExecutor();
    const effects = step(state, timer(TIMER_HEARTBEAT));
    expect(effects).toEqual([
      { type: "send", to: DRIVER, message: { type: "ExecutorHeartbeat", executorId: EXEC_ID } },
      { type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 10_000 },
    ]);
    expect(state.heartbeatAwaitingResponse).toBe(true);
  });

  it("executor: a tick while the previous beat is unanswered counts one failure (ask timeout = interval)", () => {
    const state = constructedExecutor();
    step(state, timer(TIMER_HEARTBEAT));
    const effects = step(state, timer(TIMER_HEARTBEAT));
    expect(state.heartbeatFailures).toBe(1);
    expect(effects).toContainEqual(expect.objectContaining({ type: "log", event: "heartbeat-failed" }));
    expect(sent(effects)).toEqual([{ type: "ExecutorHeartbeat", executorId: EXEC_ID }]);
  });

  it("executor: HeartbeatResponse: resets the failure count", () => {
    const state = constructedExecutor();
    step(state, timer(TIMER_HEARTBEAT));
    step(state, timer(TIMER_HEARTBEAT));
    const effects = step(state, fromDriver({ type: "HeartbeatResponse", reregisterBlockManager: false }));
    expect(effects).toEqual([]);
    expect(state).toMatchObject({ heartbeatFailures: 0, heartbeatAwaitingResponse: false });
  });

  it("executor: HeartbeatResponse asking to re-register the block manager: only logged", () => {
    const state = constructedExecutor();
    step(state, timer(TIMER_HEARTBEAT));
    const effects = step(state, fromDriver({ type: "HeartbeatResponse", reregisterBlockManager: true }));
    expect(effects).toEqual([expect.objectContaining({ type: "log", event: "told-to-reregister-block-manager" })]);
  });

  it("executor: HeartbeatResponse with no beat outstanding: ignored", () => {
    const state = constructedExecutor();
    expect(ignoredReasons(step(state, fromDriver({ type: "HeartbeatResponse", reregisterBlockManager: false })))).toEqual([
      "no-pending-heartbeat",
    ]);
  });

  it("executor: executorHeartbeatMaxFailures unanswered beats in a row: exit 56, driver not told", () => {
    const state = constructedExecutor({ executorHeartbeatMaxFailures: 3 });
    step(state, timer(TIMER_HEARTBEAT));
    step(state, timer(TIMER_HEARTBEAT));
    step(state, timer(TIMER_HEARTBEAT));
    const effects = step(state, timer(TIMER_HEARTBEAT));
    expect(sent(effects)).toEqual([]);
    expect(exits(effects)).toEqual([
      { type: "exit", code: HEARTBEAT_FAILURE_EXIT_CODE, reason: "Unable to send heartbeats to driver more than 3 times" },
    ]);
    expect(HEARTBEAT_FAILURE_EXIT_CODE).toBe(56);
  });

  it("executor: heartbeat tick before the executor exists: stale", () => {
    const { state } = startExecutor();
    expect(ignoredReasons(step(state, timer(TIMER_HEARTBEAT)))).toEqual(["stale-timer"]);
  });
});

describe("executor: StopExecutor", () => {
  it("executor: StopExecutor: stopping, then exit 0 (the master reads 0 as a normal exit)", () => {
    const state = constructedExecutor();
    const effects = step(state, fromDriver({ type: "StopExecutor" }));
    expect(effects).toEqual([{ type: "exit", code: 0, reason: "StopExecutor" }]);
    expect(state.stopping).toBe(true);
  });

  it("executor: StopExecutor before the executor exists: Shutdown exits 1", () => {
    const { state } = startExecutor();
    expect(exits(step(state, fromDriver({ type: "StopExecutor" })))).toEqual([
      { type: "exit", code: 1, reason: "StopExecutor before the executor was constructed" },
    ]);
  });
});

describe("executor: peerDisconnected", () => {
  it("executor: driver disconnected: exit 1 without RemoveExecutor", () => {
    const state = constructedExecutor();
    const effects = step(state, { type: "peerDisconnected", peer: DRIVER });
    expect(sent(effects)).toEqual([]);
    expect(exits(effects)).toEqual([{ type: "exit", code: 1, reason: `Driver ${DRIVER} disassociated! Shutting down.` }]);
  });

  it("executor: worker disconnected: WorkerWatcher exits 1 (the executor dies with its worker)", () => {
    const state = constructedExecutor();
    expect(step(state, { type: "peerDisconnected", peer: WORKER })).toEqual([
      { type: "exit", code: 1, reason: `Worker ${WORKER} disassociated` },
    ]);
  });

  it("executor: any other peer disconnected: ignored silently (disconnects are broadcast)", () => {
    const state = constructedExecutor();
    expect(step(state, { type: "peerDisconnected", peer: STRANGER })).toEqual([]);
    expect(state.stopping).toBe(false);
  });

  it("executor: driver or worker disconnected while stopping: only logged", () => {
    const state = constructedExecutor();
    step(state, fromDriver({ type: "StopExecutor" }));
    expect(step(state, { type: "peerDisconnected", peer: DRIVER })).toEqual([
      expect.objectContaining({ type: "log", event: "peer-disconnected-while-stopping" }),
    ]);
    expect(step(state, { type: "peerDisconnected", peer: STRANGER })).toEqual([]);
  });
});

describe("executor: guards", () => {
  it("executor: any input after the exit (a host contract breach): ignored as stopping", () => {
    const state = constructedExecutor();
    step(state, fromDriver({ type: "StopExecutor" }));
    expect(ignoredReasons(step(state, fromDriver(launchTask())))).toEqual(["stopping"]);
    expect(ignoredReasons(step(state, timer(TIMER_HEARTBEAT)))).toEqual(["stopping"]);
  });

  it("executor: a second exit is a programmer error", () => {
    const state = constructedExecutor();
    step(state, fromDriver({ type: "StopExecutor" }));
    expect(() => exitOnce(state, 1, "again", [])).toThrow(AssertionError);
  });

  it("executor: driver-only messages from anyone else: ignored as not-from-driver", () => {
    const state = constructedExecutor();
    const messages: Message[] = [
      { type: "RegisteredExecutor" },
      { type: "RegisterExecutorFailed", message: "x" },
      launchTask(),
      { type: "KillTask", taskId: 7, executorId: EXEC_ID, interruptThread: true, reason: "x" },
      { type: "StopExecutor" },
      { type: "HeartbeatResponse", reregisterBlockManager: false },
    ];
    for (const message of messages) {
      expect(ignoredReasons(step(state, fromPeer(WORKER, message))), message.type).toEqual(["not-from-driver"]);
    }
    expect(state).toMatchObject({ stopping: false, runningTaskIds: [], runningTaskCpus: [] });
  });

  it("executor: every message type outside the executor's protocol: ignored as unexpected-message", () => {
    const handled = new Set([
      "RegisteredExecutor",
      "RegisterExecutorFailed",
      "LaunchTask",
      "KillTask",
      "StopExecutor",
      "HeartbeatResponse",
    ]);
    for (const type of MESSAGE_TYPES.filter((t) => !handled.has(t))) {
      const state = constructedExecutor();
      expect(step(state, fromDriver({ type } as Message)), type).toEqual([
        expect.objectContaining({ fields: { why: "unexpected-message", type } }),
      ]);
    }
  });

  it("executor: inputs meant for other roles: ignored as unexpected-input", () => {
    const state = constructedExecutor();
    const command: Command = { kind: "cancelJob", jobId: jobId("j"), reason: "r" };
    const inputs: Input[] = [
      { type: "processLaunched", process: { kind: "driver", driverId: "d" as never } },
      { type: "processLaunchFailed", process: { kind: "driver", driverId: "d" as never }, error: "e" },
      { type: "processExited", process: { kind: "driver", driverId: "d" as never }, exitCode: 0 },
      { type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } },
      { type: "leadershipRevoked" },
      { type: "command", command },
    ];
    for (const input of inputs) expect(ignoredReasons(step(state, input)), input.type).toEqual(["unexpected-input"]);
  });

  it("executor: a timer key it never set: ignored as unknown-timer", () => {
    const state = constructedExecutor();
    expect(ignoredReasons(step(state, timer("nonsense")))).toEqual(["unknown-timer"]);
  });

  it("executor: the state stays plain data that structuredClone and JSON round-trip", () => {
    const state = constructedExecutor();
    step(state, fromDriver(launchTask()));
    expect(structuredClone(state)).toEqual(state);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

function frozenPaths(value: unknown, path = "effects"): string[] {
  if (value === null || typeof value !== "object") return [];
  const own = Object.isFrozen(value) ? [path] : [];
  return own.concat(...Object.entries(value).map(([key, item]) => frozenPaths(item, `${path}.${key}`)));
}

describe("executor: immutable mode (immer)", () => {
  it("executor: runs registration, tasks and heartbeats through produce; effects hold no drafts", () => {
    setAutoFreeze(true);
    let { state } = startExecutor();
    const original = state;
    const inputs: Input[] = [
      fromDriver({ type: "RegisteredExecutor" }),
      fromDriver(launchTask()),
      fromDriver(launchTask({ taskId: 8, cpus: 2 })),
      timer(TIMER_HEARTBEAT),
      fromDriver({ type: "KillTask", taskId: 8, executorId: EXEC_ID, interruptThread: true, reason: "x" }),
      { type: "taskFinished", taskId: 7, outcome: { kind: "success", value: [1, 2], sizeBytes: 8 } },
      { type: "taskFinished", taskId: 8, outcome: { kind: "killed", reason: "x" } },
      fromDriver({ type: "HeartbeatResponse", reregisterBlockManager: false }),
      fromDriver({ type: "StopExecutor" }),
    ];
    const allEffects: Effect[] = [];
    for (const input of inputs) {
      let effects: Effect[] = [];
      state = produce(state, (draft: ExecutorBackendState) => {
        effects = executor.step(draft, input, { now: 0 });
      });
      allEffects.push(...effects);
    }
    expect(() => JSON.stringify(allEffects)).not.toThrow();
    expect(frozenPaths(allEffects)).toEqual([]);
    expect(Object.isFrozen(state)).toBe(true);
    expect(original.constructed).toBe(false);
    expect(state).toMatchObject({ constructed: true, stopping: true, runningTaskIds: [], runningTaskCpus: [] });
    expect(allEffects.filter((e) => e.type === "exit")).toEqual([{ type: "exit", code: 0, reason: "StopExecutor" }]);
  });
});
