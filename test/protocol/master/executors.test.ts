import { describe, expect, it } from "vitest";
import { produce, setAutoFreeze } from "immer";
import { master } from "../../../src/protocol/master/index.js";
import type { AppId, Message } from "../../../src/protocol/index.js";
import {
  addApp,
  addWorker,
  aliveMaster,
  deliver,
  driverAddr,
  ignoredWhy,
  MASTER,
  messagesOf,
  type step,
  T0,
  wid,
  workerAddr,
} from "./fixtures.js";

const esc = (appId: AppId, execId: number, state: string, exitStatus?: number): Message =>
  ({ type: "ExecutorStateChanged", appId, execId, state, exitStatus }) as Message;

describe("master: ExecutorStateChanged", () => {
  it("RUNNING from LAUNCHING: answered, forwarded to the driver, retry count reset", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    s.apps[id]!.retryCount = 3;
    const fx = deliver(s, workerAddr(1), esc(id, 0, "RUNNING"));
    expect(messagesOf(fx, "ExecutorStateChangedResponse")).toEqual([
      { type: "ExecutorStateChangedResponse", appId: id, execId: 0, state: "RUNNING" },
    ]);
    expect(sendsTo(fx, driverAddr(1), "ExecutorUpdated")).toHaveLength(1);
    expect(s.apps[id]!.executors["0"]!.state).toBe("RUNNING");
    expect(s.apps[id]!.retryCount).toBe(0);
  });

  it("a RUNNING report for an executor already RUNNING changes nothing (Spark's assertion)", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    deliver(s, workerAddr(1), esc(id, 0, "RUNNING"));
    const fx = deliver(s, workerAddr(1), esc(id, 0, "RUNNING"));
    expect(ignoredWhy(fx)).toEqual(["executor-not-launching"]);
    expect(messagesOf(fx, "ExecutorUpdated")).toHaveLength(0);
    expect(messagesOf(fx, "ExecutorStateChangedResponse")).toHaveLength(1);
  });

  it("an unknown executor: still answered (3.2+), otherwise ignored", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(1), esc("app-x" as AppId, 3, "EXITED", 1));
    expect(messagesOf(fx, "ExecutorStateChangedResponse")).toHaveLength(1);
    expect(ignoredWhy(fx)).toEqual(["unknown-executor"]);
  });

  it("an abnormal exit frees the worker, counts a retry and launches a replacement", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    deliver(s, workerAddr(1), esc(id, 0, "RUNNING"));
    const fx = deliver(s, workerAddr(1), esc(id, 0, "EXITED", 1));
    expect(s.apps[id]!.retryCount).toBe(1);
    expect(messagesOf(fx, "LaunchExecutor")[0]).toMatchObject({ execId: 1, cores: 4 });
    expect(s.workers[wid(1)]!.coresUsed).toBe(4);
  });

  it("a normal exit (code 0) does not count toward the retry limit", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    deliver(s, workerAddr(1), esc(id, 0, "EXITED", 0));
    expect(s.apps[id]!.retryCount).toBe(0);
  });

  it("removes the app as FAILED after maxExecutorRetries consecutive failures with none RUNNING (I15)", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    let fx: ReturnType<typeof deliver> = [];
    for (let exec = 0; exec < 10; exec++) fx = deliver(s, workerAddr(1), esc(id, exec, "FAILED"));
    expect(s.apps[id]).toBeUndefined();
    expect(s.completedApps[0]).toMatchObject({ id, state: "FAILED" });
    expect(messagesOf(fx, "ApplicationRemoved")).toEqual([{ type: "ApplicationRemoved", message: "FAILED" }]);
  });

  it("keeps an app with a RUNNING executor however many others fail", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    addWorker(s, 2, 2);
    const { id } = addApp(s, 1, { coresPerExecutor: 1, maxCores: 2 });
    deliver(s, s.workers[s.apps[id]!.executors["0"]!.workerId]!.address, esc(id, 0, "RUNNING"));
    for (let i = 0; i < 12; i++) {
      const failing = Object.values(s.apps[id]!.executors).find((e) => e.state === "LAUNCHING")!;
      deliver(s, s.workers[failing.workerId]!.address, esc(id, failing.id, "FAILED"));
    }
    expect(s.apps[id]).toBeDefined();
    expect(s.apps[id]!.retryCount).toBe(12);
  });

  it("a negative maxExecutorRetries disables the limit", () => {
    const s = aliveMaster({ maxExecutorRetries: -1 });
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    for (let exec = 0; exec < 12; exec++) deliver(s, workerAddr(1), esc(id, exec, "FAILED"));
    expect(s.apps[id]).toBeDefined();
  });
});

describe("master: RequestExecutors and KillExecutors", () => {
  it("RequestExecutors sets the limit, schedules and acknowledges; lowering it kills nothing", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1, { coresPerExecutor: 1, initialExecutorLimit: 0 });
    expect(Object.keys(s.apps[id]!.executors)).toHaveLength(0);
    const fx = deliver(s, driverAddr(1), { type: "RequestExecutors", appId: id, requestedTotal: 2 });
    expect(messagesOf(fx, "LaunchExecutor")).toHaveLength(2);
    expect(messagesOf(fx, "RequestExecutorsResponse")).toEqual([{ type: "RequestExecutorsResponse", appId: id, acknowledged: true }]);
    const lower = deliver(s, driverAddr(1), { type: "RequestExecutors", appId: id, requestedTotal: 0 });
    expect(messagesOf(lower, "KillExecutor")).toHaveLength(0);
    expect(Object.keys(s.apps[id]!.executors)).toHaveLength(2);
  });

  it("RequestExecutors for an unknown app answers false", () => {
    const s = aliveMaster();
    const fx = deliver(s, driverAddr(1), { type: "RequestExecutors", appId: "nope" as AppId, requestedTotal: 2 });
    expect(messagesOf(fx, "RequestExecutorsResponse")[0]!.acknowledged).toBe(false);
  });

  it("KillExecutors kills known ids, frees their cores first, skips bad ids", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1, { coresPerExecutor: 2, maxCores: 4, initialExecutorLimit: 2 });
    deliver(s, driverAddr(1), { type: "RequestExecutors", appId: id, requestedTotal: 1 });
    const fx = deliver(s, driverAddr(1), { type: "KillExecutors", appId: id, executorIds: ["0", "x", "42"] });
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: id, execId: 0 }]);
    expect(ignoredWhy(fx)).toEqual(["unknown-executor-to-kill", "unknown-executor-to-kill"]);
    expect(messagesOf(fx, "KillExecutorsResponse")[0]!.acknowledged).toBe(true);
    expect(s.workers[wid(1)]!.coresUsed).toBe(2);
  });

  it("KillExecutors for an unknown app answers false", () => {
    const s = aliveMaster();
    const fx = deliver(s, driverAddr(1), { type: "KillExecutors", appId: "nope" as AppId, executorIds: ["0"] });
    expect(messagesOf(fx, "KillExecutorsResponse")[0]!.acknowledged).toBe(false);
  });
});

describe("master: UnregisterApplication and WorkerLatestState", () => {
  it("UnregisterApplication finishes the app", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    const fx = deliver(s, driverAddr(1), { type: "UnregisterApplication", appId: id });
    expect(s.apps[id]).toBeUndefined();
    expect(fx).toContainEqual({ type: "unpersist", key: `app_${id}` });
  });

  it("UnregisterApplication of an unknown app is ignored", () => {
    const s = aliveMaster();
    expect(ignoredWhy(deliver(s, driverAddr(1), { type: "UnregisterApplication", appId: "x" as AppId }))).toEqual([
      "unknown-app-unregistered",
    ]);
  });

  it("WorkerLatestState kills executors and drivers the master does not know (SPARK-13604)", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    const fx = deliver(s, workerAddr(1), {
      type: "WorkerLatestState",
      workerId: wid(1),
      executors: [
        { appId: id, execId: 0, cores: 4, memoryMb: 1024, state: "RUNNING" },
        { appId: "old-app" as AppId, execId: 7, cores: 1, memoryMb: 1024, state: "RUNNING" },
      ],
      driverIds: ["driver-old" as never],
    });
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: "old-app", execId: 7 }]);
    expect(messagesOf(fx, "KillDriver")).toEqual([{ type: "KillDriver", driverId: "driver-old" }]);
  });

  it("WorkerLatestState from an unknown worker is ignored", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(1), { type: "WorkerLatestState", workerId: wid(1), executors: [], driverIds: [] });
    expect(ignoredWhy(fx)).toEqual(["unknown-worker-latest-state"]);
  });
});

describe("master: immutable mode", () => {
  it("runs through immer's produce: the old state is untouched and effects hold no drafts", () => {
    setAutoFreeze(true);
    let s = aliveMaster();
    const steps: Array<[Message, string]> = [
      [
        {
          type: "RegisterWorker",
          workerId: wid(1),
          host: "h",
          port: 1,
          workerAddress: workerAddr(1),
          cores: 4,
          memoryMb: 4096,
          masterAddress: MASTER,
        },
        workerAddr(1),
      ],
      [
        {
          type: "RegisterApplication",
          appDesc: { name: "a", memoryPerExecutorMb: 512, command: { x: [1] } },
          driverAddress: driverAddr(1),
        },
        driverAddr(1),
      ],
    ];
    for (const [message, from] of steps) {
      const before = s;
      const snapshot = JSON.stringify(before);
      let fx: ReturnType<typeof master.step> = [];
      s = produce(s, (draft) => {
        fx = master.step(draft, { type: "message", from: from as never, message }, { now: T0 });
      });
      expect(JSON.stringify(before)).toBe(snapshot);
      expect(() => JSON.stringify(fx)).not.toThrow();
    }
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.keys(s.apps)).toHaveLength(1);
  });
});

function sendsTo(fx: ReturnType<typeof step>, to: string, type: Message["type"]) {
  return fx.filter((e) => e.type === "send" && e.to === to && e.message.type === type);
}
