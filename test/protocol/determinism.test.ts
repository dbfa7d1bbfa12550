/**
 * Determinism, proven (STYLE.md rule 14): a role stepped twice from the same frozen state with the
 * same input gives deep-equal states and effects, and leaves the input and the old state untouched.
 */
import { describe, expect, it } from "vitest";
import { freeze, produce, setAutoFreeze } from "immer";
import { master } from "../../src/protocol/master/index.js";
import { worker } from "../../src/protocol/worker/index.js";
import { executor } from "../../src/protocol/executor/index.js";
import { driver } from "../../src/protocol/driver/index.js";
import {
  address,
  appId,
  executorId,
  jobId,
  resolveConfig,
  workerId,
  type Effect,
  type Input,
  type Role,
} from "../../src/protocol/index.js";

const T0 = 1_767_225_600_000;

function replayTwice<S extends object, C>(role: Role<S, C>, config: C, inputs: Array<[Input, number]>) {
  setAutoFreeze(true);
  const run = () => {
    let state = freeze(role.init(config, { now: T0 }).state, true) as S;
    const trace: Array<{ state: S; effects: Effect[] }> = [];
    for (const [input, now] of inputs) {
      const inputCopy = structuredClone(input);
      const frozenInput = freeze(structuredClone(input), true);
      const before = JSON.stringify(state);
      let effects: Effect[] = [];
      const next = produce(state, (draft) => {
        effects = role.step(draft as S, frozenInput, { now });
      }) as S;
      expect(JSON.stringify(state)).toBe(before);
      expect(frozenInput).toEqual(inputCopy);
      trace.push({ state: next, effects: structuredClone(effects) });
      state = next;
    }
    return trace;
  };
  const first = run();
  const second = run();
  expect(second).toEqual(first);
  return first;
}

const msg = (from: string, message: object): Input => ({ type: "message", from: address(from), message }) as Input;

describe("determinism", () => {
  it("master: the same inputs from the same state give the same states and effects", () => {
    const w = (n: number) =>
      msg(`w${n}`, {
        type: "RegisterWorker",
        workerId: workerId(`worker-${n}`),
        host: `h${n}`,
        port: n,
        workerAddress: address(`w${n}`),
        cores: 4,
        memoryMb: 4096,
        masterAddress: address("m"),
      });
    const trace = replayTwice(master, { address: address("m"), protocol: resolveConfig(), seed: 3 }, [
      [{ type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } }, T0],
      [w(1), T0 + 1],
      [w(2), T0 + 2],
      [msg("client", { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 512, supervise: true, command: {} } }), T0 + 3],
      [
        msg("d1", {
          type: "RegisterApplication",
          appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} },
          driverAddress: address("d1"),
        }),
        T0 + 4,
      ],
      [{ type: "peerDisconnected", peer: address("w1") }, T0 + 5],
      [{ type: "timer", key: "checkForWorkerTimeOut" }, T0 + 200_000],
    ]);
    expect(trace.at(-1)!.state.recoveryState).toBe("ALIVE");
  });

  it("worker: registration, launches, exits and retries replay identically", () => {
    const m = address("m");
    const app = appId("app-1");
    replayTwice(
      worker,
      {
        workerId: workerId("worker-1"),
        host: "h",
        port: 1,
        address: address("w"),
        cores: 4,
        memoryMb: 4096,
        masterAddresses: [m, address("m2")],
        protocol: resolveConfig(),
        seed: 11,
      },
      [
        [{ type: "timer", key: "reregister" }, T0 + 10_000],
        [msg("m", { type: "RegisteredWorker", masterAddress: m, configuredMasterAddress: m, duplicate: false }), T0 + 11_000],
        [
          msg("m", {
            type: "LaunchExecutor",
            masterUrl: m,
            appId: app,
            execId: 0,
            appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} },
            driverAddress: address("d"),
            cores: 2,
            memoryMb: 512,
          }),
          T0 + 12_000,
        ],
        [{ type: "processLaunched", process: { kind: "executor", appId: app, execId: 0 } }, T0 + 12_500],
        [{ type: "processExited", process: { kind: "executor", appId: app, execId: 0 }, exitCode: 1 }, T0 + 13_000],
        [{ type: "peerDisconnected", peer: m }, T0 + 14_000],
        [{ type: "timer", key: "reregister" }, T0 + 30_000],
      ],
    );
  });

  it("executor: registration, tasks and heartbeats replay identically", () => {
    const d = address("d");
    replayTwice(
      executor,
      {
        appId: appId("app-1"),
        execId: 0,
        executorId: executorId(0),
        address: address("e"),
        hostname: "h",
        cores: 2,
        driverAddress: d,
        workerAddress: address("w"),
        protocol: resolveConfig(),
        seed: 5,
      },
      [
        [msg("d", { type: "RegisteredExecutor" }), T0 + 1],
        [
          msg("d", {
            type: "LaunchTask",
            task: {
              taskId: 0,
              attemptNumber: 0,
              executorId: executorId(0),
              taskSetId: "j.0.0",
              index: 0,
              cpus: 1,
              payload: { data: { x: 1 }, sizeBytes: 10 },
            },
          }),
          T0 + 2,
        ],
        [{ type: "taskFinished", taskId: 0, outcome: { kind: "success", value: 42, sizeBytes: 8 } }, T0 + 3],
        [{ type: "timer", key: "heartbeat" }, T0 + 15_000],
        [msg("d", { type: "StopExecutor" }), T0 + 16_000],
      ],
    );
  });

  it("driver: registration, a job, executors and status updates replay identically", () => {
    const m = address("m");
    const e0 = executorId(0);
    const e1 = executorId(1);
    const status = (taskId: number, executorId: string, value: number): Input =>
      msg(`e${executorId}`, {
        type: "StatusUpdate",
        executorId,
        taskId,
        state: "FINISHED",
        data: { kind: "result", value, sizeBytes: 8 },
        taskCpus: 1,
      });
    const trace = replayTwice(
      driver,
      {
        address: address("d"),
        host: "h",
        masterAddresses: [m],
        appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} },
        protocol: resolveConfig(),
        seed: 9,
      },
      [
        [msg("m", { type: "RegisteredApplication", appId: appId("app-1"), masterAddress: m }), T0 + 1],
        [
          {
            type: "command",
            command: { kind: "submitJob", jobId: jobId("j1"), taskSets: [{ tasks: [0, 1, 2, 3].map((i) => ({ data: i, sizeBytes: 4 })) }] },
          },
          T0 + 2,
        ],
        [msg("e0", { type: "RegisterExecutor", executorId: e0, executorAddress: address("e0"), hostname: "h0", cores: 2 }), T0 + 3],
        [msg("e1", { type: "RegisterExecutor", executorId: e1, executorAddress: address("e1"), hostname: "h1", cores: 2 }), T0 + 4],
        [msg("e0", { type: "LaunchedExecutor", executorId: e0 }), T0 + 5],
        [msg("e1", { type: "LaunchedExecutor", executorId: e1 }), T0 + 6],
        [status(0, "0", 10), T0 + 7],
        [{ type: "timer", key: "revive" }, T0 + 1000],
        [{ type: "peerDisconnected", peer: address("e1") }, T0 + 1001],
      ],
    );
    const launched = trace.flatMap((t) => t.effects).filter((e) => e.type === "send" && e.message.type === "LaunchTask");
    expect(launched.length).toBeGreaterThanOrEqual(4);
  });
});
