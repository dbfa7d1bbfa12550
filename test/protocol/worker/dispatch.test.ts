import { produce, setAutoFreeze } from "immer";
import { describe, expect, it } from "vitest";
import { jobId } from "../../../src/protocol/ids.js";
import type { Command, Effect, Input } from "../../../src/protocol/io.js";
import { MESSAGE_TYPES, type Message } from "../../../src/protocol/messages.js";
import { worker, type WorkerState } from "../../../src/protocol/worker/index.js";
import { executorStateSyncTimerKey } from "../../../src/protocol/worker/index.js";
import {
  APP,
  driverRef,
  executorRef,
  fromPeer,
  ignoredReasons,
  launchDriver,
  launchExecutor,
  M1,
  registeredMessage,
  registeredWorker,
  startWorker,
  step,
  timer,
} from "./fixtures.js";

describe("worker: dispatch guards", () => {
  it("worker: a message a worker never expects: ignored as unexpected-message", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, { type: "StopExecutor" }));
    expect(effects).toEqual([expect.objectContaining({ fields: { why: "unexpected-message", type: "StopExecutor" } })]);
  });

  it("worker: every message type outside the worker's protocol: ignored as unexpected-message", () => {
    const handled = new Set([
      "RegisteredWorker",
      "RegisterWorkerFailed",
      "MasterInStandby",
      "MasterChanged",
      "ReconnectWorker",
      "LaunchExecutor",
      "KillExecutor",
      "ExecutorStateChangedResponse",
      "LaunchDriver",
      "KillDriver",
      "ApplicationFinished",
    ]);
    const others = MESSAGE_TYPES.filter((type) => !handled.has(type));
    expect(others).toHaveLength(MESSAGE_TYPES.length - handled.size);
    for (const type of others) {
      const state = registeredWorker();
      const effects = step(state, fromPeer(M1, { type } as Message));
      expect(effects, type).toEqual([expect.objectContaining({ fields: { why: "unexpected-message", type } })]);
    }
  });

  it("worker: inputs meant for other roles: ignored as unexpected-input", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, { type: "taskFinished", taskId: 1, outcome: { kind: "killed", reason: "x" } }))).toEqual([
      "unexpected-input",
    ]);
    expect(ignoredReasons(step(state, { type: "leadershipRevoked" }))).toEqual(["unexpected-input"]);
    expect(ignoredReasons(step(state, { type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } }))).toEqual([
      "unexpected-input",
    ]);
  });

  it("worker: user commands other than stop: ignored as unexpected-command", () => {
    const state = registeredWorker();
    const commands: Command[] = [
      { kind: "submitJob", jobId: jobId("j"), taskSets: [] },
      { kind: "cancelJob", jobId: jobId("j"), reason: "r" },
      { kind: "killTask", taskId: 1, reason: "r" },
      { kind: "requestTotalExecutors", total: 1 },
      { kind: "killExecutors", executorIds: [] },
      { kind: "stopApplication" },
    ];
    for (const command of commands) {
      expect(ignoredReasons(step(state, { type: "command", command }))).toEqual(["unexpected-command"]);
    }
  });

  it("worker: a timer key it never set: ignored as unknown-timer", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, timer("nonsense")))).toEqual(["unknown-timer"]);
  });

  it("worker: the state stays plain data that structuredClone and JSON round-trip", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, launchDriver({ supervise: true })));
    step(state, { type: "processLaunched", process: executorRef(0) });
    expect(structuredClone(state)).toEqual(state);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it("worker: the same input on equal states gives equal effects and states (determinism)", () => {
    const a = registeredWorker();
    const b = registeredWorker();
    const input: Input = fromPeer(M1, launchExecutor());
    expect(step(a, input)).toEqual(step(b, input));
    expect(a).toEqual(b);
  });
});

function frozenPaths(value: unknown, path = "effects"): string[] {
  if (value === null || typeof value !== "object") return [];
  const own = Object.isFrozen(value) ? [path] : [];
  return own.concat(...Object.entries(value).map(([key, item]) => frozenPaths(item, `${path}.${key}`)));
}

describe("worker: immutable mode (immer)", () => {
  it("worker: runs a registration, a launch and a finish through produce; effects hold no drafts", () => {
    setAutoFreeze(true);
    let { state } = startWorker();
    const original = state;
    const inputs: Input[] = [
      fromPeer(M1, registeredMessage(M1)),
      fromPeer(M1, launchExecutor()),
      fromPeer(M1, launchDriver({ supervise: true })),
      { type: "processLaunched", process: executorRef(0) },
      { type: "processLaunched", process: driverRef() },
      timer(executorStateSyncTimerKey(`${APP}/0`)),
      { type: "processExited", process: driverRef(), exitCode: 3 },
      { type: "processExited", process: executorRef(0), exitCode: 0 },
      fromPeer(M1, { type: "MasterChanged", masterAddress: M1 }),
      { type: "command", command: { kind: "stop" } },
    ];
    const allEffects: Effect[] = [];
    for (const input of inputs) {
      let effects: Effect[] = [];
      state = produce(state, (draft: WorkerState) => {
        effects = worker.step(draft, input, { now: 1_000 });
      });
      allEffects.push(...effects);
    }
    // Touching every effect deeply would throw on a revoked draft proxy.
    expect(() => JSON.stringify(allEffects)).not.toThrow();
    expect(structuredClone(allEffects)).toEqual(allEffects);
    // autoFreeze freezes everything the state holds: a frozen object inside an effect is shared.
    expect(frozenPaths(allEffects)).toEqual([]);
    expect(Object.isFrozen(state)).toBe(true);
    expect(original.registered).toBe(false);
    expect(state.registered).toBe(true);
    expect(state.finishedExecutors).toHaveLength(1);
    expect(allEffects.some((e) => e.type === "launch" && e.spec.kind === "driver")).toBe(true);
  });
});
