import { describe, expect, it } from "vitest";
import { MASTER_SENDERS } from "../../../src/protocol/master/authority.js";
import type { DriverId, Message } from "../../../src/protocol/index.js";
import {
  addApp,
  MASTER,
  addWorker,
  aliveMaster,
  deliver,
  driverAddr,
  ignoredWhy,
  messagesOf,
  registerWorkerMsg,
  sends,
  wid,
  workerAddr,
} from "./fixtures.js";

/** A refusal's log effect, as the master writes it. */
const refusedAs = (why: string, type: Message["type"], from: string, expected: string[]) => ({
  type: "log",
  level: "warn",
  event: "ignored",
  fields: { why, type, from, expected },
});

function withDriverOnWorker1() {
  const s = aliveMaster();
  addWorker(s, 1, 2);
  const fx = deliver(s, "client", { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 512, supervise: false, command: {} } });
  const id = messagesOf(fx, "SubmitDriverResponse")[0]!.driverId as DriverId;
  addWorker(s, 2, 2);
  return { s, id };
}

describe("master: who may send what", () => {
  it("master: the sender table covers every message the master handles (and only those)", () => {
    expect(Object.keys(MASTER_SENDERS).sort()).toEqual(
      [
        "RegisterWorker",
        "RegisterApplication",
        "RequestSubmitDriver",
        "RequestKillDriver",
        "RequestDriverStatus",
        "Heartbeat",
        "WorkerLatestState",
        "WorkerSchedulerStateResponse",
        "ExecutorStateChanged",
        "DriverStateChanged",
        "MasterChangeAcknowledged",
        "UnregisterApplication",
        "RequestExecutors",
        "KillExecutors",
      ].sort(),
    );
  });

  it("master: RegisterWorker naming another address than its sender's: refused as sender-address-mismatch, nothing registered", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(2), registerWorkerMsg(1));
    expect(fx).toEqual([refusedAs("sender-address-mismatch", "RegisterWorker", workerAddr(2), [workerAddr(1)])]);
    expect(s.workers).toEqual({});
  });

  it("master: RegisterApplication naming another driver's address: refused as sender-address-mismatch, nothing registered", () => {
    const s = aliveMaster();
    const fx = deliver(s, driverAddr(2), {
      type: "RegisterApplication",
      appDesc: { name: "x", memoryPerExecutorMb: 1, command: {} },
      driverAddress: driverAddr(1),
    });
    expect(ignoredWhy(fx)).toEqual(["sender-address-mismatch"]);
    expect(s.apps).toEqual({});
  });

  it("master: a Heartbeat for worker 1 from worker 2 (naming itself): refused as not-from-worker, worker 1 is not kept alive", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    addWorker(s, 2);
    const fx = deliver(s, workerAddr(2), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(2) }, 1_767_225_650_000);
    expect(fx).toEqual([refusedAs("not-from-worker", "Heartbeat", workerAddr(2), [workerAddr(1)])]);
    expect(s.workers[wid(1)]!.lastHeartbeatMs).toBe(1_767_225_600_000);
  });

  it("master: WorkerLatestState and WorkerSchedulerStateResponse for worker 1 from worker 2: refused, nothing killed or adopted", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    addWorker(s, 2);
    const report = {
      workerId: wid(1),
      executors: [{ appId: "app-x" as never, execId: 0, cores: 1, memoryMb: 1, state: "RUNNING" as const }],
      driverIds: ["d-x" as DriverId],
    };
    for (const type of ["WorkerLatestState", "WorkerSchedulerStateResponse"] as const) {
      const fx = deliver(s, workerAddr(2), { type, ...report });
      expect(fx, type).toEqual([refusedAs("not-from-worker", type, workerAddr(2), [workerAddr(1)])]);
    }
  });

  it("master: ExecutorStateChanged for an executor of worker 1 from worker 2: refused and unanswered, the executor stays", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    addWorker(s, 2, 4);
    const fx = deliver(s, workerAddr(2), { type: "ExecutorStateChanged", appId: id, execId: 0, state: "FAILED", exitStatus: 1 });
    expect(fx).toEqual([refusedAs("not-from-worker", "ExecutorStateChanged", workerAddr(2), [workerAddr(1)])]);
    expect(s.apps[id]!.executors["0"]!.state).toBe("LAUNCHING");
    expect(s.apps[id]!.retryCount).toBe(0);
  });

  it("master: DriverStateChanged from a worker that does not run the driver: refused, the driver keeps running", () => {
    const { s, id } = withDriverOnWorker1();
    const fx = deliver(s, workerAddr(2), { type: "DriverStateChanged", driverId: id, state: "FAILED" });
    expect(fx).toEqual([refusedAs("not-from-worker", "DriverStateChanged", workerAddr(2), [workerAddr(1)])]);
    expect(s.drivers[id]).toMatchObject({ state: "RUNNING", workerId: wid(1) });
  });

  it("master: DriverStateChanged for a driver no worker runs (waiting): refused, no one may report it", () => {
    const s = aliveMaster();
    addWorker(s, 1, 1);
    const fx = deliver(s, "client", { type: "RequestSubmitDriver", desc: { cores: 4, memoryMb: 512, supervise: false, command: {} } });
    const id = messagesOf(fx, "SubmitDriverResponse")[0]!.driverId as DriverId;
    expect(s.waitingDrivers).toEqual([id]);
    expect(deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: id, state: "FINISHED" })).toEqual([
      refusedAs("not-from-worker", "DriverStateChanged", workerAddr(1), []),
    ]);
    expect(s.drivers[id]).toBeDefined();
  });

  it("master: with SPARK-19900 on, a worker's report on a driver it does not run is still taken (the museum's trust)", () => {
    const s = aliveMaster({ bugs: ["SPARK-19900"] });
    addWorker(s, 1, 2);
    const fx = deliver(s, "client", { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 512, supervise: false, command: {} } });
    const id = messagesOf(fx, "SubmitDriverResponse")[0]!.driverId as DriverId;
    addWorker(s, 2, 2);
    deliver(s, workerAddr(2), { type: "DriverStateChanged", driverId: id, state: "FAILED" });
    expect(s.drivers[id]).toBeUndefined();
  });

  it("master: an application's messages from another driver: refused as not-from-app-driver, the app untouched and unanswered", () => {
    const s = aliveMaster();
    const { id } = addApp(s, 1);
    const other = driverAddr(2);
    const messages: Message[] = [
      { type: "UnregisterApplication", appId: id },
      { type: "MasterChangeAcknowledged", appId: id },
      { type: "RequestExecutors", appId: id, requestedTotal: 0 },
      { type: "KillExecutors", appId: id, executorIds: ["0"] },
    ];
    for (const message of messages) {
      const before = JSON.stringify(s);
      const fx = deliver(s, other, message);
      expect(fx, message.type).toEqual([refusedAs("not-from-app-driver", message.type, other, [driverAddr(1)])]);
      expect(sends(fx)).toEqual([]);
      expect(JSON.stringify(s), message.type).toBe(before);
    }
    // Its own driver still may.
    deliver(s, driverAddr(1), { type: "UnregisterApplication", appId: id });
    expect(s.apps[id]).toBeUndefined();
  });

  it("master: messages naming an unknown worker or app pass to their handlers (answered as unknown, as before)", () => {
    const s = aliveMaster();
    expect(
      messagesOf(deliver(s, workerAddr(9), { type: "Heartbeat", workerId: wid(9), workerAddress: workerAddr(9) }), "ReconnectWorker"),
    ).toEqual([{ type: "ReconnectWorker", masterUrl: MASTER }]);
    expect(
      messagesOf(
        deliver(s, driverAddr(9), { type: "RequestExecutors", appId: "app-x" as never, requestedTotal: 1 }),
        "RequestExecutorsResponse",
      ),
    ).toEqual([{ type: "RequestExecutorsResponse", appId: "app-x", acknowledged: false }]);
  });
});
