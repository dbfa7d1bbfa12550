/**
 * The master's bug-museum switches added for docs/protocol.md §7 items 3 and 11 (the older ones are
 * tested with their handlers): each restores one historic behaviour when named in `bugs`.
 */
import { describe, expect, it } from "vitest";
import type { AppId, StoredRecords } from "../../../src/protocol/index.js";
import {
  addWorker,
  aliveMaster,
  appDesc,
  deliver,
  driverAddr,
  messagesOf,
  newMaster,
  registerWorkerMsg,
  step,
  T0,
  wid,
  workerAddr,
} from "./fixtures.js";

const APP = "app-20251231000000-0000" as AppId;

describe("master: SPARK-23191 (a duplicate worker id is refused)", () => {
  it('master: SPARK-23191 on: a known live worker id gets RegisterWorkerFailed("Duplicate worker ID")', () => {
    const s = aliveMaster({ bugs: ["SPARK-23191"] });
    addWorker(s, 1);
    const fx = deliver(s, workerAddr(1), registerWorkerMsg(1));
    expect(messagesOf(fx, "RegisterWorkerFailed")).toEqual([{ type: "RegisterWorkerFailed", message: "Duplicate worker ID" }]);
    expect(messagesOf(fx, "RegisteredWorker")).toEqual([]);
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
  });

  it("master: SPARK-23191 on: during recovery the UNKNOWN worker is refused and stays UNKNOWN", () => {
    const s = newMaster({ bugs: ["SPARK-23191"] });
    const stored: StoredRecords = {
      apps: [],
      drivers: [],
      workers: [{ id: wid(1), host: "host-1", port: 7001, address: workerAddr(1), cores: 4, memoryMb: 8192 }],
    };
    step(s, { type: "leaderElected", stored });
    const fx = deliver(s, workerAddr(1), registerWorkerMsg(1));
    expect(messagesOf(fx, "RegisterWorkerFailed")).toHaveLength(1);
    expect(s.workers[wid(1)]!.state).toBe("UNKNOWN");
  });

  it("master: SPARK-23191 on: a DEAD worker's id registers afresh", () => {
    const s = aliveMaster({ bugs: ["SPARK-23191"] });
    addWorker(s, 1);
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 120_000);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    const fx = deliver(s, workerAddr(1), registerWorkerMsg(1), T0 + 121_000);
    expect(messagesOf(fx, "RegisteredWorker")).toEqual([expect.objectContaining({ duplicate: false })]);
  });

  it("master: SPARK-23191 off: the duplicate is acknowledged (duplicate = true)", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    expect(messagesOf(deliver(s, workerAddr(1), registerWorkerMsg(1)), "RegisteredWorker")).toEqual([
      expect.objectContaining({ duplicate: true }),
    ]);
  });
});

describe("master: SPARK-21169 (the app stays WAITING after recovery)", () => {
  /** A leader recovering one app (maxCores 4) and one worker that reports the app's 4-core executor. */
  function recoveredApp(bugs: string[]) {
    const s = newMaster({ bugs });
    const stored: StoredRecords = {
      apps: [{ id: APP, desc: appDesc({ maxCores: 4 }), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }],
      drivers: [],
      workers: [{ id: wid(1), host: "host-1", port: 7001, address: workerAddr(1), cores: 8, memoryMb: 16_384 }],
    };
    step(s, { type: "leaderElected", stored });
    deliver(s, workerAddr(1), {
      type: "WorkerSchedulerStateResponse",
      workerId: wid(1),
      executors: [{ appId: APP, execId: 0, cores: 4, memoryMb: 1024, state: "RUNNING" }],
      driverIds: [],
    });
    const fx = deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    return { s, fx };
  }

  it("master: SPARK-21169 on: an app that acknowledged the new leader is still WAITING once recovery completes", () => {
    const { s, fx } = recoveredApp(["SPARK-21169"]);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[APP]!.state).toBe("WAITING");
    expect(messagesOf(fx, "LaunchExecutor")).toEqual([]); // it holds all it asked for: nothing moves it on
  });

  it("master: SPARK-21169 off: completeRecovery moves it to RUNNING", () => {
    const { s } = recoveredApp([]);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[APP]!.state).toBe("RUNNING");
  });
});
