/**
 * M20-M21 (src/sim/invariants/master-worker-links.ts) on steps of the real master, then on the same
 * steps broken one way at a time: each broken step is caught, the true one is not.
 */
import { describe, expect, it } from "vitest";
import type { AppId, Effect, Input, StoredRecords } from "../../src/protocol/index.js";
import { master, type MasterState } from "../../src/protocol/master/index.js";
import {
  checkMasterWorkerLinks,
  checkRevivedWorkerAdopted,
  M20,
  M21,
  M22,
  M23,
  newRevivalLedger,
} from "../../src/sim/invariants/master-worker-links.js";
import {
  addApp,
  addWorker,
  aliveMaster,
  appDesc,
  driverAddr,
  MASTER,
  newMaster,
  registerWorkerMsg,
  sends,
  T0,
  wid,
  workerAddr,
} from "../protocol/master/fixtures.js";
import { masterStepView } from "./helpers.js";

function judge(s: MasterState, input: Input, effects: readonly Effect[]): string[] {
  const fired: string[] = [];
  checkMasterWorkerLinks(masterStepView(s, input, effects, fired));
  return fired;
}

/** A leader with one worker and one app whose executor runs there. */
function cluster() {
  const s = aliveMaster();
  addWorker(s, 1, 4);
  const { id: appId } = addApp(s, 1, { coresPerExecutor: 2, maxCores: 2 });
  const exec = Object.values(s.apps[appId]!.executors)[0]!;
  return { s, appId, exec };
}

const latestState = (appId: string, execIds: number[]): Input => ({
  type: "message",
  from: workerAddr(1),
  message: {
    type: "WorkerLatestState",
    workerId: wid(1),
    executors: execIds.map((execId) => ({
      appId: appId as never,
      execId: execId as never,
      cores: 2,
      memoryMb: 1024,
      state: "RUNNING" as const,
    })),
    driverIds: [],
  },
});

describe("M20: a dropped connection removes the worker or the app there", () => {
  it("holds for the real master; a worker or an app left at the address is caught", () => {
    for (const peer of [workerAddr(1), driverAddr(1)]) {
      const { s } = cluster();
      const input: Input = { type: "peerDisconnected", peer };
      expect(judge(s, input, master.step(s, input, { now: T0 + 10 }))).toEqual([]);
      expect(s.addressToWorker[peer]).toBeUndefined();
      expect(s.addressToApp[peer]).toBeUndefined();
      // The same input on a master that did nothing with it.
      const broken = cluster();
      expect(judge(broken.s, input, [])).toEqual([M20]);
    }
  });
});

describe("M21: the master kills only executors it does not hold", () => {
  it("holds for an app's end and for a reported executor the master does not hold", () => {
    const { s, appId, exec } = cluster();
    const report = latestState(appId, [exec.id, exec.id + 7]);
    const fx = master.step(s, report, { now: T0 + 10 });
    expect(sends(fx, "KillExecutor").map((e) => (e.message as { execId: number }).execId)).toEqual([exec.id + 7]);
    expect(judge(s, report, fx)).toEqual([]);
    const end: Input = { type: "message", from: driverAddr(1), message: { type: "UnregisterApplication", appId: appId as never } };
    const endFx = master.step(s, end, { now: T0 + 20 });
    expect(sends(endFx, "KillExecutor")).toHaveLength(1);
    expect(judge(s, end, endFx)).toEqual([]);
  });

  it("a KillExecutor for an executor the master still holds on that worker is caught", () => {
    const { s, appId, exec } = cluster();
    const report = latestState(appId, [exec.id]);
    const fx = master.step(s, report, { now: T0 + 10 });
    expect(sends(fx, "KillExecutor")).toEqual([]);
    const killed: Effect = {
      type: "send",
      to: workerAddr(1),
      message: { type: "KillExecutor", masterUrl: MASTER, appId: appId as never, execId: exec.id },
    };
    expect(judge(s, report, [...fx, killed])).toEqual([M21]);
  });
});

describe("M22: a worker revived by its registration during recovery has its report adopted", () => {
  const APP = "app-20251231235959-0000" as AppId;
  const stored: StoredRecords = {
    apps: [{ id: APP, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }],
    drivers: [],
    workers: [1, 2].map((n) => ({ id: wid(n), host: `host-${n}`, port: 7000 + n, address: workerAddr(n), cores: 4, memoryMb: 8192 })),
  };
  const register: Input = { type: "message", from: workerAddr(1), message: registerWorkerMsg(1, 4, 8192) };
  const report: Input = {
    type: "message",
    from: workerAddr(1),
    message: {
      type: "WorkerLatestState",
      workerId: wid(1),
      executors: [{ appId: APP, execId: 2, cores: 2, memoryMb: 1024, state: "RUNNING" }],
      driverIds: [],
    },
  };

  /** A new leader recovering the stored app and workers; worker 1 registers again instead of answering, then reports. */
  function revived(tamper: (fx: Effect[]) => Effect[] = (fx) => fx): string[] {
    const s = newMaster();
    const ledger = newRevivalLedger();
    const fired: string[] = [];
    for (const input of [{ type: "leaderElected", stored } as Input, register, report]) {
      let fx = master.step(s, input, { now: T0 });
      if (input === report) fx = tamper(fx);
      checkRevivedWorkerAdopted(masterStepView(s, input, fx, fired), ledger);
    }
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
    return fired;
  }

  it("a revived worker that is removed and registers afresh owes nothing: its report's kills are the master's right", () => {
    const s = newMaster();
    const ledger = newRevivalLedger();
    const fired: string[] = [];
    const lost: Input = { type: "peerDisconnected", peer: workerAddr(1) };
    for (const input of [{ type: "leaderElected", stored } as Input, register, lost, register, report]) {
      const fx = master.step(s, input, { now: T0 });
      if (input === report) expect(sends(fx, "KillExecutor")).toHaveLength(1);
      checkRevivedWorkerAdopted(masterStepView(s, input, fx, fired), ledger);
    }
    expect(fired).toEqual([]);
  });

  it("holds when the master adopts the reported executor; killing it instead is caught", () => {
    expect(revived()).toEqual([]);
    const kill: Effect = { type: "send", to: workerAddr(1), message: { type: "KillExecutor", masterUrl: MASTER, appId: APP, execId: 2 } };
    expect(revived((fx) => [...fx, kill])).toEqual([M22]);
  });
});

describe("M23: an app registered in a step starts fresh", () => {
  it("holds for the real master; an end time or a used worker it never ran on is caught", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const input: Input = {
      type: "message",
      from: driverAddr(1),
      message: { type: "RegisterApplication", appDesc: appDesc({ coresPerExecutor: 2, maxCores: 2 }), driverAddress: driverAddr(1) },
    };
    const fx = master.step(s, input, { now: T0 });
    const app = Object.values(s.apps)[0]!;
    expect(app.workerIdsUsed).toEqual([wid(1)]);
    expect(judge(s, input, fx)).toEqual([]);
    app.endTimeMs = T0;
    expect(judge(s, input, fx)).toEqual([M23]);
    app.endTimeMs = -1;
    app.workerIdsUsed.push(wid(2));
    expect(judge(s, input, fx)).toEqual([M23]);
  });
});
