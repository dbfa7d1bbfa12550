import { describe, expect, it } from "vitest";
import { address } from "../../../src/protocol/index.js";
import {
  addApp,
  addWorker,
  aliveMaster,
  appDesc,
  deliver,
  driverAddr,
  ignoredWhy,
  MASTER,
  messagesOf,
  newMaster,
  registerWorkerMsg,
  step,
  T0,
  wid,
  workerAddr,
} from "./fixtures.js";

describe("master: RegisterWorker", () => {
  it("while STANDBY: answers MasterInStandby and registers nothing", () => {
    const s = newMaster();
    const fx = addWorker(s, 1);
    expect(messagesOf(fx, "MasterInStandby")).toHaveLength(1);
    expect(s.workers).toEqual({});
  });

  it("a new worker: persists it before acknowledging, then RegisteredWorker(duplicate = false)", () => {
    const s = aliveMaster();
    const fx = addWorker(s, 1);
    const persistAt = fx.findIndex((e) => e.type === "persist" && e.key === `worker_${wid(1)}`);
    const replyAt = fx.findIndex((e) => e.type === "send" && e.message.type === "RegisteredWorker");
    expect(persistAt).toBeGreaterThanOrEqual(0);
    expect(replyAt).toBeGreaterThan(persistAt);
    expect(messagesOf(fx, "RegisteredWorker")[0]).toEqual({
      type: "RegisteredWorker",
      masterAddress: MASTER,
      configuredMasterAddress: MASTER,
      duplicate: false,
    });
    expect(s.workers[wid(1)]).toMatchObject({ state: "ALIVE", cores: 8, coresUsed: 0, lastHeartbeatMs: T0 });
  });

  it("a duplicate id: RegisteredWorker(duplicate = true) (SPARK-23191), keeping the old entry", () => {
    const s = aliveMaster();
    addWorker(s, 1, 8);
    const fx = deliver(s, workerAddr(1), { ...registerWorkerMsg(1), cores: 99 } as never);
    expect(messagesOf(fx, "RegisteredWorker")[0]!.duplicate).toBe(true);
    expect(s.workers[wid(1)]!.cores).toBe(8);
    expect(fx.some((e) => e.type === "persist")).toBe(false);
  });

  it("a new id at the address of a live worker: RegisterWorkerFailed (I8)", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    const fx = deliver(s, workerAddr(1), { ...registerWorkerMsg(1), workerId: wid(2) } as never);
    expect(messagesOf(fx, "RegisterWorkerFailed")[0]!.message).toBe(`Attempted to re-register worker at same address: ${workerAddr(1)}`);
    expect(s.workers[wid(2)]).toBeUndefined();
  });

  it("a DEAD worker with the same host and port is culled when it registers again", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    step(s, { type: "peerDisconnected", peer: workerAddr(1) });
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    const fx = addWorker(s, 1);
    expect(messagesOf(fx, "RegisteredWorker")[0]!.duplicate).toBe(false);
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
    expect(Object.keys(s.workers)).toHaveLength(1);
  });
});

describe("master: RegisterApplication", () => {
  it("while STANDBY: ignored without a reply (the client retries)", () => {
    const s = newMaster();
    const fx = deliver(s, driverAddr(1), { type: "RegisterApplication", appDesc: appDesc(), driverAddress: driverAddr(1) });
    expect(messagesOf(fx, "RegisteredApplication")).toHaveLength(0);
    expect(ignoredWhy(fx)).toContain("standby-ignores-app-registration");
  });

  it("persists the app, answers RegisteredApplication with a Spark-format id, then schedules", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id, fx } = addApp(s, 1);
    expect(id).toBe("app-20260101000000-0000");
    const persistAt = fx.findIndex((e) => e.type === "persist" && e.key === `app_${id}`);
    const replyAt = fx.findIndex((e) => e.type === "send" && e.message.type === "RegisteredApplication");
    const launchAt = fx.findIndex((e) => e.type === "send" && e.message.type === "LaunchExecutor");
    expect(persistAt).toBeLessThan(replyAt);
    expect(replyAt).toBeLessThan(launchAt);
    expect(s.apps[id]).toMatchObject({ state: "RUNNING", coresGranted: 4 });
  });

  it("a retried registration from the same driver gets the same app id, not a ghost (§7 item 20)", () => {
    const s = aliveMaster();
    const first = addApp(s, 1);
    const again = addApp(s, 1);
    expect(again.id).toBe(first.id);
    expect(Object.keys(s.apps)).toHaveLength(1);
    expect(again.fx.some((e) => e.type === "persist")).toBe(false);
  });

  it("with the GHOST-APP bug on: a second, untracked app id is persisted and acknowledged", () => {
    const s = aliveMaster({ bugs: ["GHOST-APP"] });
    const first = addApp(s, 1);
    const again = addApp(s, 1);
    expect(again.id).not.toBe(first.id);
    expect(s.apps[again.id]).toBeUndefined();
    expect(again.fx.some((e) => e.type === "persist" && e.key === `app_${again.id}`)).toBe(true);
  });

  it("ids count up within a second: app-...-0000, app-...-0001", () => {
    const s = aliveMaster();
    expect(addApp(s, 1).id).toBe("app-20260101000000-0000");
    expect(addApp(s, 2).id).toBe("app-20260101000000-0001");
  });
});

describe("master: Heartbeat", () => {
  it("from a live worker: refreshes lastHeartbeat", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) }, T0 + 15_000);
    expect(s.workers[wid(1)]!.lastHeartbeatMs).toBe(T0 + 15_000);
  });

  it("from a DEAD worker not yet culled: ReconnectWorker (SPARK-3736, SPARK-13604)", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    step(s, { type: "peerDisconnected", peer: workerAddr(1) });
    const fx = deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) });
    expect(messagesOf(fx, "ReconnectWorker")).toEqual([{ type: "ReconnectWorker", masterUrl: MASTER }]);
  });

  it("from a worker the leader does not hold (culled after a long silence, or never registered): told to reconnect", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(9), { type: "Heartbeat", workerId: wid(9), workerAddress: workerAddr(9) });
    expect(fx).toContainEqual({ type: "send", to: workerAddr(9), message: { type: "ReconnectWorker", masterUrl: MASTER } });
  });

  it("from a worker the leader does not hold, with CULLED-WORKER-IGNORED on (Spark): ignored", () => {
    const s = aliveMaster({ bugs: ["CULLED-WORKER-IGNORED"] });
    const fx = deliver(s, workerAddr(9), { type: "Heartbeat", workerId: wid(9), workerAddress: workerAddr(9) });
    expect(ignoredWhy(fx)).toEqual(["heartbeat-from-unregistered-worker"]);
    expect(messagesOf(fx, "ReconnectWorker")).toEqual([]);
  });
});

describe("master: CheckForWorkerTimeOut", () => {
  it("removes a worker silent for longer than the timeout and re-arms itself", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    const fx = step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 60_001);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    expect(fx).toContainEqual({ type: "setTimer", key: "checkForWorkerTimeOut", afterMs: 60_000 });
    expect(fx).toContainEqual({ type: "unpersist", key: `worker_${wid(1)}` });
  });

  it("keeps a worker whose heartbeat is exactly at the timeout", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 60_000);
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
  });

  it("culls a DEAD worker after (reaperIterations + 1) x timeout", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 61_000);
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 960_000);
    expect(s.workers[wid(1)]).toBeDefined();
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 960_001);
    expect(s.workers[wid(1)]).toBeUndefined();
  });

  it("an unknown timer key is ignored", () => {
    const s = aliveMaster();
    expect(ignoredWhy(step(s, { type: "timer", key: "nope" }))).toEqual(["unknown-timer"]);
  });
});

describe("master: removeWorker", () => {
  it("reports executors LOST with the worker host, tells every app, and reschedules elsewhere (SPARK-36509)", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1, { maxCores: 4 });
    addWorker(s, 2, 4);
    const fx = step(s, { type: "peerDisconnected", peer: workerAddr(1) });
    expect(messagesOf(fx, "ExecutorUpdated")[0]).toMatchObject({ execId: 0, state: "LOST", workerHost: "host-1" });
    expect(messagesOf(fx, "WorkerRemoved")[0]).toMatchObject({ workerId: wid(1), host: "host-1" });
    const relaunch = messagesOf(fx, "LaunchExecutor");
    expect(relaunch).toHaveLength(1);
    expect(relaunch[0]).toMatchObject({ appId: id, execId: 1, cores: 4 });
    expect(s.apps[id]!.retryCount).toBe(0);
  });

  it("with the SPARK-36509 bug on: no executor is rescheduled after a worker dies", () => {
    const s = aliveMaster({ bugs: ["SPARK-36509"] });
    addWorker(s, 1, 4);
    addApp(s, 1, { maxCores: 4 });
    addWorker(s, 2, 4);
    const fx = step(s, { type: "peerDisconnected", peer: workerAddr(1) });
    expect(messagesOf(fx, "LaunchExecutor")).toHaveLength(0);
  });
});

describe("master: peerDisconnected", () => {
  it("of a driver: finishes its app (FINISHED, no ApplicationRemoved) and kills its executors", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    const fx = step(s, { type: "peerDisconnected", peer: driverAddr(1) });
    expect(s.apps[id]).toBeUndefined();
    expect(s.completedApps[0]).toMatchObject({ id, state: "FINISHED" });
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: id, execId: 0 }]);
    expect(messagesOf(fx, "ApplicationRemoved")).toHaveLength(0);
    expect(messagesOf(fx, "ApplicationFinished")).toEqual([{ type: "ApplicationFinished", appId: id }]);
    expect(s.workers[wid(1)]!.coresUsed).toBe(0);
  });

  it("of an unrelated peer: changes nothing", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    const before = JSON.stringify(s);
    expect(step(s, { type: "peerDisconnected", peer: address("somebody") })).toEqual([]);
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe("master: inputs it does not expect", () => {
  it("a message meant for another role is ignored", () => {
    const s = aliveMaster();
    expect(ignoredWhy(deliver(s, "x", { type: "StopExecutor" }))).toEqual(["unexpected-message"]);
  });
  it("a task or process input is ignored", () => {
    const s = aliveMaster();
    expect(ignoredWhy(step(s, { type: "taskFinished", taskId: 1, outcome: { kind: "killed", reason: "x" } }))).toEqual([
      "unexpected-input",
    ]);
  });
  it("a driver-only command is ignored; stop exits", () => {
    const s = aliveMaster();
    expect(ignoredWhy(step(s, { type: "command", command: { kind: "stopApplication" } }))).toEqual(["unsupported-command"]);
    expect(step(s, { type: "command", command: { kind: "stop" } })).toContainEqual({ type: "exit", code: 0, reason: "master stopped" });
  });
});
