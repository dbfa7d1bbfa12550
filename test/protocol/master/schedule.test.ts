import { describe, expect, it } from "vitest";
import { scheduleExecutorsOnWorkers } from "../../../src/protocol/master/index.js";
import { addApp, addWorker, aliveMaster, deliver, messagesOf, newMaster, wid } from "./fixtures.js";

const threeWorkers = [0, 1, 2].map(() => ({ coresFree: 8, memoryFree: 100_000 }));
const base = { memoryPerExecutorMb: 1024, executorCount: 0, executorLimit: Number.MAX_SAFE_INTEGER };

describe("master: scheduleExecutorsOnWorkers, the worked examples of docs/protocol.md §4.1", () => {
  it.each([
    { name: "spreadOut, cores.max 12, executor.cores unset", spreadOut: true, cpe: undefined, expected: [4, 4, 4] },
    { name: "consolidate, cores.max 12, executor.cores unset", spreadOut: false, cpe: undefined, expected: [8, 4, 0] },
    { name: "spreadOut, cores.max 12, executor.cores 4", spreadOut: true, cpe: 4, expected: [4, 4, 4] },
    { name: "consolidate, cores.max 12, executor.cores 4", spreadOut: false, cpe: 4, expected: [8, 4, 0] },
  ])("$name assigns $expected", ({ spreadOut, cpe, expected }) => {
    const assigned = scheduleExecutorsOnWorkers({ ...base, coresLeft: 12, coresPerExecutor: cpe, spreadOut }, threeWorkers);
    expect(assigned).toEqual(expected);
  });

  it("allocates in whole coresPerExecutor blocks (SPARK-8881): 3 free cores each, 2 per executor", () => {
    const workers = [0, 1].map(() => ({ coresFree: 3, memoryFree: 100_000 }));
    expect(scheduleExecutorsOnWorkers({ ...base, coresLeft: 6, coresPerExecutor: 2, spreadOut: true }, workers)).toEqual([2, 2]);
  });

  it("checks memory only when a new executor starts", () => {
    const workers = [
      { coresFree: 8, memoryFree: 1024 },
      { coresFree: 8, memoryFree: 512 },
    ];
    expect(scheduleExecutorsOnWorkers({ ...base, coresLeft: 16, spreadOut: true }, workers)).toEqual([8, 0]);
  });

  it("stops creating executors at the executor limit", () => {
    const workers = [0, 1, 2].map(() => ({ coresFree: 8, memoryFree: 100_000 }));
    expect(
      scheduleExecutorsOnWorkers(
        { ...base, coresLeft: 24, coresPerExecutor: 2, spreadOut: true, executorCount: 1, executorLimit: 3 },
        workers,
      ),
    ).toEqual([2, 2, 0]);
  });

  it("assigns nothing when the app has fewer cores left than one executor needs", () => {
    expect(scheduleExecutorsOnWorkers({ ...base, coresLeft: 3, coresPerExecutor: 4, spreadOut: true }, threeWorkers)).toEqual([0, 0, 0]);
  });
});

describe("master: schedule() through the reducer", () => {
  it("spreadOut: an app with cores.max 12 on three 8-core workers gets three 4-core executors", () => {
    const s = aliveMaster();
    for (const n of [1, 2, 3]) addWorker(s, n, 8);
    const { fx } = addApp(s, 1, { maxCores: 12 });
    const launches = messagesOf(fx, "LaunchExecutor");
    expect(launches.map((l) => l.cores)).toEqual([4, 4, 4]);
    expect(launches.map((l) => l.execId)).toEqual([0, 1, 2]);
    expect(messagesOf(fx, "ExecutorAdded")).toHaveLength(3);
  });

  it("consolidate: the same app gets 8 + 4 cores", () => {
    const s = aliveMaster({ spreadOutApps: false });
    for (const n of [1, 2, 3]) addWorker(s, n, 8);
    const { fx } = addApp(s, 1, { maxCores: 12 });
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.cores)).toEqual([8, 4]);
  });

  it("serves waiting apps FIFO: the first app takes every core", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    addApp(s, 1);
    const second = addApp(s, 2);
    expect(messagesOf(second.fx, "LaunchExecutor")).toHaveLength(0);
  });

  it("places drivers before executors: the driver's core is taken before the app's executor", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4, 8192);
    const fx = deliver(s, "client", { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 1024, supervise: false, command: {} } });
    expect(messagesOf(fx, "LaunchDriver")).toHaveLength(1);
    const app = addApp(s, 1);
    expect(messagesOf(app.fx, "LaunchExecutor").map((l) => l.cores)).toEqual([3]);
    expect(s.workers[wid(1)]!.coresUsed).toBe(4);
  });

  it("a standby or recovering master schedules nothing (I7)", () => {
    const s = newMaster();
    expect(messagesOf(addWorker(s, 1), "RegisteredWorker")).toHaveLength(0);
    expect(Object.keys(s.apps)).toHaveLength(0);
  });
});
