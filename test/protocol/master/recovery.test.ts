import { describe, expect, it } from "vitest";
import type { AppId, DriverId, StoredRecords } from "../../../src/protocol/index.js";
import { EXECUTOR_ID_RESERVATION_BLOCK } from "../../../src/protocol/master/schedule.js";
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
  step,
  T0,
  wid,
  workerAddr,
} from "./fixtures.js";

const APP = "app-20251231000000-0000" as AppId;
const DRIVER = "driver-20251231000000-0000" as DriverId;

function store(over: Partial<StoredRecords> = {}): StoredRecords {
  return {
    apps: [{ id: APP, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }],
    drivers: [],
    workers: [1, 2].map((n) => ({ id: wid(n), host: `host-${n}`, port: 7000 + n, address: workerAddr(n), cores: 4, memoryMb: 8192 })),
    ...over,
  };
}

function recovering(stored = store(), overrides = {}) {
  const s = newMaster(overrides);
  const fx = step(s, { type: "leaderElected", stored });
  return { s, fx };
}

describe("master: leaderElected", () => {
  it("with an empty store: ALIVE at once", () => {
    const s = newMaster();
    step(s, { type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } });
    expect(s.recoveryState).toBe("ALIVE");
  });

  it("with stored state: RECOVERING, every app and worker UNKNOWN and told MasterChanged, timer armed", () => {
    const { s, fx } = recovering();
    expect(s.recoveryState).toBe("RECOVERING");
    expect(s.apps[APP]!.state).toBe("UNKNOWN");
    expect(s.workers[wid(1)]!.state).toBe("UNKNOWN");
    const targets = fx.flatMap((e) => (e.type === "send" && e.message.type === "MasterChanged" ? [e.to] : []));
    expect(targets).toEqual([driverAddr(1), workerAddr(1), workerAddr(2)]);
    expect(fx).toContainEqual({ type: "setTimer", key: "completeRecovery", afterMs: 60_000 });
  });

  it("a second election is ignored", () => {
    const { s } = recovering();
    expect(ignoredWhy(step(s, { type: "leaderElected", stored: store() }))).toEqual(["already-leader"]);
  });

  it("leadershipRevoked: the master exits at once (no scheduling after leadership is lost)", () => {
    const s = aliveMaster();
    expect(step(s, { type: "leadershipRevoked" })).toEqual([
      { type: "exit", code: 0, reason: "Leadership has been revoked -- master shutting down." },
    ]);
  });

  it("a standby refuses nothing silently: registrations during RECOVERING are accepted", () => {
    const { s } = recovering();
    const fx = addWorker(s, 3);
    expect(messagesOf(fx, "RegisteredWorker")).toHaveLength(1);
  });
});

describe("master: the failover sequence", () => {
  it("completes when the heartbeat timeout removes the last UNKNOWN worker", () => {
    const { s } = recovering();
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    // Worker 1 keeps heartbeating; worker 2 never answered and falls silent past the timeout.
    const later = T0 + s.config.workerTimeoutMs + 1;
    deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) }, later);
    expect(s.recoveryState).toBe("RECOVERING");
    const fx = step(s, { type: "timer", key: "checkForWorkerTimeOut" }, later);
    expect(s.workers[wid(2)]!.state).toBe("DEAD");
    expect(s.recoveryState).toBe("ALIVE");
    expect(fx).toContainEqual({ type: "cancelTimer", key: "completeRecovery" });
  });

  it("completes when a worker restarted under a new id replaces the last UNKNOWN one at its address", () => {
    const { s } = recovering();
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    expect(s.recoveryState).toBe("RECOVERING");
    // Worker 2 restarted: it registers under a new id at the same address; its old self was the last UNKNOWN.
    const fx = deliver(s, workerAddr(2), {
      type: "RegisterWorker",
      workerId: wid(22),
      host: "host-2",
      port: 7002,
      workerAddress: workerAddr(2),
      cores: 4,
      memoryMb: 8192,
      masterAddress: MASTER,
    });
    expect(messagesOf(fx, "RegisteredWorker")).toHaveLength(1);
    expect(s.workers[wid(2)]!.state).toBe("DEAD");
    expect(s.recoveryState).toBe("ALIVE");
    expect(fx).toContainEqual({ type: "cancelTimer", key: "completeRecovery" });
  });

  it("completes as soon as every worker and app has answered, then schedules", () => {
    const { s } = recovering();
    deliver(s, workerAddr(1), {
      type: "WorkerSchedulerStateResponse",
      workerId: wid(1),
      executors: [{ appId: APP, execId: 5, cores: 4, memoryMb: 1024, state: "RUNNING" }],
      driverIds: [],
    });
    expect(s.workers[wid(1)]).toMatchObject({ state: "ALIVE", coresUsed: 4 });
    expect(s.apps[APP]!.executors["5"]).toMatchObject({ state: "RUNNING", cores: 4 });
    expect(s.apps[APP]!.nextExecutorId).toBe(6);
    deliver(s, workerAddr(2), { type: "WorkerSchedulerStateResponse", workerId: wid(2), executors: [], driverIds: [] });
    expect(s.recoveryState).toBe("RECOVERING");
    const fx = deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[APP]!.state).toBe("RUNNING");
    expect(fx).toContainEqual({ type: "cancelTimer", key: "completeRecovery" });
    // New executors get ids above the recovered one (I4).
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.execId)).toEqual([6]);
  });

  /** An app capped at 4 cores whose only (recovered) executor ends while the app is still UNKNOWN, then the app answers. */
  function executorEndsWhileAppUnknown(bugs: string[]) {
    const { s } = recovering(
      store({ apps: [{ id: APP, desc: appDesc({ maxCores: 4 }), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }] }),
      { bugs },
    );
    deliver(s, workerAddr(1), {
      type: "WorkerSchedulerStateResponse",
      workerId: wid(1),
      executors: [{ appId: APP, execId: 5, cores: 4, memoryMb: 1024, state: "RUNNING" }],
      driverIds: [],
    });
    deliver(s, workerAddr(2), { type: "WorkerSchedulerStateResponse", workerId: wid(2), executors: [], driverIds: [] });
    expect(s.apps[APP]!.state).toBe("UNKNOWN");
    deliver(s, workerAddr(1), {
      type: "ExecutorStateChanged",
      appId: APP,
      execId: 5,
      state: "EXITED",
      message: "Command exited with code 1",
      exitStatus: 1,
    });
    const fx = deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    return { s, fx };
  }

  it("an executor that ends while its app is UNKNOWN leaves the app: once the app answers, its cores are free and it gets a new executor (§7.27)", () => {
    const { s, fx } = executorEndsWhileAppUnknown([]);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[APP]!.executors["5"]).toBeUndefined();
    expect(s.apps[APP]!.coresGranted).toBe(4);
    const launches = messagesOf(fx, "LaunchExecutor");
    expect(launches.map((l) => l.execId)).toEqual([6, 7]);
    expect(launches.reduce((n, l) => n + l.cores, 0)).toBe(4);
  });

  it("with the GHOST-EXECUTOR switch on: the ended executor stays in the UNKNOWN app with its cores granted, and the app at maxCores gets no executor (Spark's !app.isFinished)", () => {
    const { s, fx } = executorEndsWhileAppUnknown(["GHOST-EXECUTOR"]);
    expect(s.apps[APP]!.executors["5"]).toMatchObject({ state: "EXITED" });
    expect(s.apps[APP]!.coresGranted).toBe(4);
    expect(messagesOf(fx, "LaunchExecutor")).toEqual([]);
  });

  it("at the timeout: removes silent workers and silently finishes silent apps (§3.5 weakness 3)", () => {
    const { s } = recovering();
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    const fx = step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.workers[wid(2)]!.state).toBe("DEAD");
    expect(s.apps[APP]).toBeUndefined();
    expect(s.completedApps[0]).toMatchObject({ id: APP, state: "FINISHED" });
    expect(messagesOf(fx, "ApplicationRemoved")).toHaveLength(0);
  });

  it("a RegisterApplication from a recovered app's driver answers with its id and counts as its acknowledgement", () => {
    // The driver's connection to the old leader broke and no MasterChanged reached it: it registers again (driver/appClient.ts).
    const { s } = recovering();
    for (const n of [1, 2])
      deliver(s, workerAddr(n), { type: "WorkerSchedulerStateResponse", workerId: wid(n), executors: [], driverIds: [] });
    expect(s.recoveryState).toBe("RECOVERING");
    const again = addApp(s, 1);
    expect(again.id).toBe(APP);
    expect(Object.keys(s.apps)).toEqual([APP]);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[APP]!.state).toBe("RUNNING");
    expect(again.fx).toContainEqual({ type: "cancelTimer", key: "completeRecovery" });
  });

  it("a recovered app's re-registration before the workers answered: the app is no longer UNKNOWN, recovery waits for the workers", () => {
    const { s } = recovering();
    addApp(s, 1);
    expect(s.apps[APP]!.state).toBe("WAITING");
    expect(s.recoveryState).toBe("RECOVERING");
    // At the timeout the app is kept, not finished silently (§3.5.3).
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    expect(s.apps[APP]).toMatchObject({ state: "RUNNING" });
  });

  it("a re-registration after recovery finished the silent app: a new app id", () => {
    const { s } = recovering();
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    const again = addApp(s, 1, {}, T0 + 70_000);
    expect(again.id).not.toBe(APP);
    expect(s.apps[again.id]!.state).toBe("WAITING");
  });

  it("two stored apps for one driver (a deposed leader also stored one, §3.5.1): the one registered last is recovered, the one its driver follows", () => {
    const LATER = "app-20251231000100-0000" as AppId;
    const stored = store();
    stored.apps = [stored.apps[0]!, { id: LATER, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 - 500 }];
    const { s, fx } = recovering(stored);
    expect(Object.keys(s.apps)).toEqual([LATER]);
    expect(messagesOf(fx, "MasterChanged")).toHaveLength(3); // the driver once, two workers
    for (const n of [1, 2])
      deliver(s, workerAddr(n), { type: "WorkerSchedulerStateResponse", workerId: wid(n), executors: [], driverIds: [] });
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: LATER });
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.apps[LATER]!.state).toBe("RUNNING");
  });

  it("completes only once (I10): a late acknowledgement after completion changes nothing", () => {
    const { s } = recovering();
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    const fx = deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    expect(ignoredWhy(fx)).toEqual(["unknown-app-acknowledged"]);
    expect(s.recoveryState).toBe("ALIVE");
  });

  it("the disconnect of the last silent worker completes recovery", () => {
    const { s } = recovering(store({ apps: [] }));
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    step(s, { type: "peerDisconnected", peer: workerAddr(2) });
    expect(s.recoveryState).toBe("ALIVE");
  });

  it("binds a reported driver to its worker and counts its resources (SPARK-12552)", () => {
    const desc = { cores: 1, memoryMb: 512, supervise: false, command: {} };
    const { s } = recovering(store({ apps: [], drivers: [{ id: DRIVER, desc, startTimeMs: T0 }] }));
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [DRIVER] });
    expect(s.drivers[DRIVER]).toMatchObject({ state: "RUNNING", workerId: wid(1) });
    expect(s.workers[wid(1)]).toMatchObject({ coresUsed: 1, memoryUsed: 512 });
    deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: DRIVER, state: "FINISHED" });
    expect(s.workers[wid(1)]).toMatchObject({ coresUsed: 0, memoryUsed: 0 });
  });

  it("with the SPARK-12552 bug on: the driver's resources go negative when it ends", () => {
    const desc = { cores: 1, memoryMb: 512, supervise: false, command: {} };
    const { s } = recovering(store({ apps: [], drivers: [{ id: DRIVER, desc, startTimeMs: T0 }] }), { bugs: ["SPARK-12552"] });
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [DRIVER] });
    deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: DRIVER, state: "FINISHED" });
    expect(s.workers[wid(1)]!.coresUsed).toBe(-1);
  });

  it("unreported drivers: a supervised one is relaunched with a new id, an unsupervised one fails as ERROR", () => {
    const sup = { cores: 1, memoryMb: 512, supervise: true, command: {} };
    const plain = { ...sup, supervise: false };
    const other = "driver-20251231000000-0001" as DriverId;
    const { s } = recovering(
      store({
        apps: [],
        drivers: [
          { id: DRIVER, desc: sup, startTimeMs: T0 },
          { id: other, desc: plain, startTimeMs: T0 },
        ],
      }),
    );
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    const fx = deliver(s, workerAddr(2), { type: "WorkerSchedulerStateResponse", workerId: wid(2), executors: [], driverIds: [] });
    expect(s.completedDrivers.map((d) => [d.id, d.state])).toEqual([
      [DRIVER, "RELAUNCHING"],
      [other, "ERROR"],
    ]);
    const launched = messagesOf(fx, "LaunchDriver");
    expect(launched).toHaveLength(1);
    expect(launched[0]!.driverId).not.toBe(DRIVER);
  });

  it("executors and drivers of unknown apps reported in recovery are ignored (§3.5 weakness 4)", () => {
    const { s } = recovering();
    const fx = deliver(s, workerAddr(1), {
      type: "WorkerSchedulerStateResponse",
      workerId: wid(1),
      executors: [{ appId: "gone" as AppId, execId: 1, cores: 2, memoryMb: 1, state: "RUNNING" }],
      driverIds: ["driver-gone" as DriverId],
    });
    expect(ignoredWhy(fx)).toEqual(["executor-of-unknown-app", "unknown-driver-reported"]);
    expect(s.workers[wid(1)]!.coresUsed).toBe(0);
  });

  it("a response from an unknown worker is not adopted, and the worker is asked to register (it took a MasterChanged meant for the id its address had before a restart)", () => {
    const { s } = recovering();
    const fx = deliver(s, workerAddr(9), { type: "WorkerSchedulerStateResponse", workerId: wid(9), executors: [], driverIds: [] });
    expect(ignoredWhy(fx)).toEqual(["unknown-worker-state-response"]);
    expect(s.workers[wid(9)]).toBeUndefined();
    expect(fx).toContainEqual({ type: "send", to: workerAddr(9), message: { type: "ReconnectWorker", masterUrl: MASTER } });
  });

  it("a worker registering during recovery with a known id becomes ALIVE and its state is adopted (SPARK-46346)", () => {
    const { s } = recovering(store());
    const reg = deliver(s, workerAddr(1), {
      type: "RegisterWorker",
      workerId: wid(1),
      host: "host-1",
      port: 7001,
      workerAddress: workerAddr(1),
      cores: 4,
      memoryMb: 8192,
      masterAddress: MASTER,
    });
    expect(messagesOf(reg, "RegisteredWorker")[0]!.duplicate).toBe(true);
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
    const fx = deliver(s, workerAddr(1), {
      type: "WorkerLatestState",
      workerId: wid(1),
      executors: [
        { appId: APP, execId: 2, cores: 2, memoryMb: 1024, state: "RUNNING" },
        { appId: "gone" as AppId, execId: 1, cores: 1, memoryMb: 1, state: "RUNNING" },
      ],
      driverIds: [],
    });
    expect(s.apps[APP]!.executors["2"]).toBeDefined();
    expect(s.workers[wid(1)]!.coresUsed).toBe(2);
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: "gone", execId: 1 }]);
  });

  it("with the SPARK-46346 bug on: that worker stays UNKNOWN and is removed when recovery completes", () => {
    const { s } = recovering(store(), { bugs: ["SPARK-46346"] });
    deliver(s, workerAddr(1), {
      type: "RegisterWorker",
      workerId: wid(1),
      host: "host-1",
      port: 7001,
      workerAddress: workerAddr(1),
      cores: 4,
      memoryMb: 8192,
      masterAddress: MASTER,
    });
    expect(s.workers[wid(1)]!.state).toBe("UNKNOWN");
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
  });

  it("a new worker at the address of an UNKNOWN one replaces it", () => {
    const { s } = recovering();
    const fx = deliver(s, workerAddr(1), {
      type: "RegisterWorker",
      workerId: wid(7),
      host: "host-1",
      port: 7001,
      workerAddress: workerAddr(1),
      cores: 4,
      memoryMb: 8192,
      masterAddress: MASTER,
    });
    expect(messagesOf(fx, "RegisteredWorker")[0]!.duplicate).toBe(false);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    expect(s.addressToWorker[workerAddr(1)]).toBe(wid(7));
  });

  it("recovered workers count as heard from at recovery time: the timeout check spares them", () => {
    const { s } = recovering(store({ apps: [] }));
    step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 30_000);
    expect(s.workers[wid(1)]!.state).toBe("UNKNOWN");
  });

  it("app and driver ids stay unique after a failover within the same second (I4, I12)", () => {
    const s = newMaster();
    const stored = store({
      apps: [{ id: "app-20260101000000-0000" as AppId, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 }],
      workers: [],
    });
    step(s, { type: "leaderElected", stored });
    step(s, { type: "timer", key: "completeRecovery" });
    const second = addApp(s, 2);
    expect(second.id).toBe("app-20260101000000-0001");
  });
});

describe("master: a worker that registers during recovery (SPARK-46346) holds recovery until it reports", () => {
  const register1 = (s: ReturnType<typeof recovering>["s"]) =>
    deliver(s, workerAddr(1), {
      type: "RegisterWorker",
      workerId: wid(1),
      host: "host-1",
      port: 7001,
      workerAddress: workerAddr(1),
      cores: 4,
      memoryMb: 8192,
      masterAddress: MASTER,
    });

  it("recovery stays RECOVERING until the revived worker's WorkerLatestState, which adopts its executors; then it schedules within the worker's cores", () => {
    const { s } = recovering(store({ workers: [store().workers[0]!] }));
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    const reg = register1(s);
    // The only worker is ALIVE again, but its executors are not known yet: no completion, no launch.
    expect(s.recoveryState).toBe("RECOVERING");
    expect(messagesOf(reg, "LaunchExecutor")).toEqual([]);
    const fx = deliver(s, workerAddr(1), {
      type: "WorkerLatestState",
      workerId: wid(1),
      executors: [{ appId: APP, execId: 3, cores: 4, memoryMb: 1024, state: "RUNNING" }],
      driverIds: [],
    });
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.workers[wid(1)]).toMatchObject({ coresUsed: 4, cores: 4 });
    expect(messagesOf(fx, "LaunchExecutor")).toEqual([]);
  });

  it("a WorkerSchedulerStateResponse from the revived worker answers for it too", () => {
    const { s } = recovering(store({ workers: [store().workers[0]!] }));
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    register1(s);
    expect(s.recoveryState).toBe("RECOVERING");
    deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.workers[wid(1)]!.adoptOnLatestState).toBe(false);
  });

  it("if the revived worker never reports, the recovery timeout completes recovery and keeps it ALIVE", () => {
    const { s } = recovering(store({ workers: [store().workers[0]!] }));
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    register1(s);
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    expect(s.recoveryState).toBe("ALIVE");
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
  });

  it("a report that comes after the master scheduled onto the worker: what no longer fits is killed, not over-committed (I1, I2)", () => {
    const { s } = recovering(store({ workers: [store().workers[0]!] }));
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    register1(s);
    step(s, { type: "timer", key: "completeRecovery" }, T0 + 60_000);
    // Recovery completed without the report: the master filled the worker's 4 cores.
    expect(s.workers[wid(1)]!.coresUsed).toBe(4);
    const fx = deliver(
      s,
      workerAddr(1),
      {
        type: "WorkerLatestState",
        workerId: wid(1),
        executors: [{ appId: APP, execId: 40, cores: 4, memoryMb: 1024, state: "RUNNING" }],
        driverIds: [],
      },
      T0 + 61_000,
    );
    expect(s.workers[wid(1)]!.coresUsed).toBe(4);
    expect(s.apps[APP]!.executors["40"]).toBeUndefined();
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: APP, execId: 40 }]);
    expect(s.apps[APP]!.nextExecutorId).toBe(41);
  });

  it("a WorkerSchedulerStateResponse reporting more than the worker's cores adopts what fits and kills the rest", () => {
    const { s } = recovering();
    const fx = deliver(s, workerAddr(1), {
      type: "WorkerSchedulerStateResponse",
      workerId: wid(1),
      executors: [
        { appId: APP, execId: 1, cores: 3, memoryMb: 1024, state: "RUNNING" },
        { appId: APP, execId: 2, cores: 3, memoryMb: 1024, state: "RUNNING" },
      ],
      driverIds: [],
    });
    expect(s.workers[wid(1)]!.coresUsed).toBe(3);
    expect(Object.keys(s.apps[APP]!.executors)).toEqual(["1"]);
    expect(messagesOf(fx, "KillExecutor").map((k) => k.execId)).toEqual([2]);
  });
});

describe("master: executor ids after recovery (I4, EXECUTOR-ID-REUSE)", () => {
  const reservedStore = (executorIdsReserved?: number) =>
    store({
      apps: [
        {
          id: APP,
          desc: appDesc(),
          driverAddress: driverAddr(1),
          startTimeMs: T0 - 1000,
          ...(executorIdsReserved === undefined ? {} : { executorIdsReserved }),
        },
      ],
      workers: [store().workers[0]!],
    });
  const recoverAndSchedule = (stored: StoredRecords, overrides = {}) => {
    const { s } = recovering(stored, overrides);
    deliver(s, driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });
    // The worker reports nothing: the app's executor died while no master led.
    const fx = deliver(s, workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    expect(s.recoveryState).toBe("ALIVE");
    return { s, fx };
  };

  it("a recovered app's ids start at the reservation its record holds, not at 0", () => {
    const { fx } = recoverAndSchedule(reservedStore(17));
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.execId)).toEqual([17]);
  });

  it("with EXECUTOR-ID-REUSE on: they start at 0 again, as in Spark", () => {
    const { fx } = recoverAndSchedule(reservedStore(17), { bugs: ["EXECUTOR-ID-REUSE"] });
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.execId)).toEqual([0]);
  });

  it("a record without a reservation (written at registration, or by an older flint) starts at 0; a bad one is named and counts as none", () => {
    expect(messagesOf(recoverAndSchedule(reservedStore()).fx, "LaunchExecutor").map((l) => l.execId)).toEqual([0]);
    const { s } = recovering(reservedStore(-3));
    expect(s.apps[APP]!.nextExecutorId).toBe(0);
    const bad = newMaster();
    const fx = step(bad, { type: "leaderElected", stored: reservedStore(1.5) });
    expect(fx).toContainEqual(expect.objectContaining({ event: "badExecutorIdReservation" }));
  });

  it("the app's record is written with the reservation before the LaunchExecutor it covers, once per block of ids", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id, fx } = addApp(s, 1, { coresPerExecutor: 1 });
    const persisted = fx.flatMap((e, i) =>
      e.type === "persist" && e.record.kind === "app" ? [{ i, reserved: e.record.app.executorIdsReserved }] : [],
    );
    const firstLaunch = fx.findIndex((e) => e.type === "send" && e.message.type === "LaunchExecutor");
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.execId)).toEqual([0, 1, 2, 3]);
    // Registration's record (no reservation), then one reservation covering the 4 launches.
    expect(persisted.map((p) => p.reserved)).toEqual([undefined, 4 + EXECUTOR_ID_RESERVATION_BLOCK]);
    expect(persisted[1]!.i).toBeLessThan(firstLaunch);
    // A replacement within the block writes nothing.
    const again = deliver(s, workerAddr(1), { type: "ExecutorStateChanged", appId: id, execId: 0, state: "EXITED", exitStatus: 1 });
    expect(messagesOf(again, "LaunchExecutor").map((l) => l.execId)).toEqual([4]);
    expect(again.filter((e) => e.type === "persist")).toEqual([]);
  });
});

describe("master: executor launch timeout", () => {
  it("a LAUNCHING executor with no report for executorLaunchTimeoutMs is failed to its driver, killed on its worker, its cores freed and replaced under a new id", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    expect(s.apps[id]!.executors["0"]).toMatchObject({ state: "LAUNCHING", launchedAtMs: T0 });
    const timeoutMs = s.config.executorLaunchTimeoutMs;
    // Not yet: the check before the timeout leaves it alone (the worker heartbeats all along).
    deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) }, T0 + timeoutMs - 1);
    const early = step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + timeoutMs - 1);
    expect(messagesOf(early, "LaunchExecutor")).toEqual([]);
    expect(s.apps[id]!.executors["0"]!.state).toBe("LAUNCHING");
    deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) }, T0 + timeoutMs);
    const fx = step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + timeoutMs);
    expect(messagesOf(fx, "ExecutorUpdated")).toEqual([expect.objectContaining({ execId: 0, state: "FAILED" })]);
    expect(messagesOf(fx, "KillExecutor")).toEqual([{ type: "KillExecutor", masterUrl: MASTER, appId: id, execId: 0 }]);
    expect(messagesOf(fx, "LaunchExecutor").map((l) => l.execId)).toEqual([1]);
    expect(s.apps[id]!.executors["0"]).toBeUndefined();
    expect(s.workers[wid(1)]!.coresUsed).toBe(4);
    expect(s.apps[id]!.retryCount).toBe(0);
  });

  it("a RUNNING executor never times out", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const { id } = addApp(s, 1);
    deliver(s, workerAddr(1), { type: "ExecutorStateChanged", appId: id, execId: 0, state: "RUNNING" });
    deliver(
      s,
      workerAddr(1),
      { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) },
      T0 + 10 * s.config.executorLaunchTimeoutMs,
    );
    const fx = step(s, { type: "timer", key: "checkForWorkerTimeOut" }, T0 + 10 * s.config.executorLaunchTimeoutMs);
    expect(messagesOf(fx, "KillExecutor")).toEqual([]);
    expect(s.apps[id]!.executors["0"]!.state).toBe("RUNNING");
  });
});

describe("master: a standby", () => {
  it("answers ExecutorStateChanged (nothing to change) and ignores heartbeats", () => {
    const s = newMaster();
    const fx = deliver(s, workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) });
    expect(ignoredWhy(fx)).toEqual(["heartbeat-from-unregistered-worker"]);
  });
});
