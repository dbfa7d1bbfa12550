import { describe, expect, it } from "vitest";
import { address } from "../../../src/protocol/ids.js";
import { nextFloat, seedRng } from "../../../src/protocol/random.js";
import { AssertionError } from "../../../src/protocol/assert.js";
import { fuzzedIntervalMs, GIVE_UP_REASON, TIMER_HEARTBEAT, TIMER_REREGISTER, worker } from "../../../src/protocol/worker/index.js";
import {
  exits,
  fromPeer,
  ignoredReasons,
  launchExecutor,
  M1,
  M2,
  registeredMessage,
  registeredWorker,
  runTimers,
  sent,
  sentOfType,
  startWorker,
  step,
  timer,
  timersSet,
  W,
  workerConfig,
} from "./fixtures.js";

describe("worker: init", () => {
  it("worker: init: draws the fuzz once from the seed and derives both retry intervals from it", () => {
    const { state } = startWorker({ seed: 7 });
    const fuzz = 0.5 + nextFloat({ rng: seedRng(7) });
    expect(state.initialRegistrationIntervalMs).toBe(Math.round(10 * fuzz) * 1000);
    expect(state.prolongedRegistrationIntervalMs).toBe(Math.round(60 * fuzz) * 1000);
    expect(state.initialRegistrationIntervalMs).toBeGreaterThanOrEqual(5_000);
    expect(state.initialRegistrationIntervalMs).toBeLessThanOrEqual(15_000);
    expect(state.prolongedRegistrationIntervalMs).toBeGreaterThanOrEqual(30_000);
    expect(state.prolongedRegistrationIntervalMs).toBeLessThanOrEqual(90_000);
    // Drawn once: the PRNG advanced exactly one step.
    const after = { rng: seedRng(7) };
    nextFloat(after);
    expect(state.random.rng).toBe(after.rng);
  });

  it("worker: init: the same seed gives the same intervals, other seeds spread over [5 s, 15 s]", () => {
    expect(startWorker({ seed: 3 }).state.initialRegistrationIntervalMs).toBe(startWorker({ seed: 3 }).state.initialRegistrationIntervalMs);
    const intervals = new Set(Array.from({ length: 40 }, (_, seed) => startWorker({ seed }).state.initialRegistrationIntervalMs));
    expect(intervals.size).toBeGreaterThan(3);
  });

  it("worker: init: a sub-second base (tests) rounds to whole milliseconds instead of to 0", () => {
    expect(fuzzedIntervalMs(10_000, 1.26)).toBe(13_000);
    expect(fuzzedIntervalMs(100, 1.26)).toBe(126);
    const { state } = startWorker({}, { initialRegistrationIntervalBaseMs: 100, prolongedRegistrationIntervalBaseMs: 400 });
    expect(state.initialRegistrationIntervalMs).toBeGreaterThan(0);
    expect(state.initialRegistrationIntervalMs).toBeLessThan(200);
  });

  it("worker: init: sends RegisterWorker to every configured master, each naming that master", () => {
    const { state, effects } = startWorker();
    expect(effects).toContainEqual({
      type: "send",
      to: M1,
      message: expect.objectContaining({ type: "RegisterWorker", masterAddress: M1, workerAddress: W, cores: 8, memoryMb: 8192 }),
    });
    expect(effects).toContainEqual({
      type: "send",
      to: M2,
      message: expect.objectContaining({ type: "RegisterWorker", masterAddress: M2 }),
    });
    expect(timersSet(effects)).toEqual([{ type: "setTimer", key: TIMER_REREGISTER, afterMs: state.initialRegistrationIntervalMs }]);
    expect(state).toMatchObject({ registered: false, connectionAttemptCount: 0, registrationRetryArmed: true, activeMasterUrl: null });
  });

  it("worker: init: a worker with no master is a programmer error", () => {
    expect(() => worker.init(workerConfig({ masterAddresses: [] }), { now: 0 })).toThrow(AssertionError);
  });
});

describe("worker: ReregisterWithMaster timer", () => {
  it("worker: reregister: gives up 6 x initial + 11 x prolonged after start with the default config", () => {
    const { state, effects } = startWorker({ seed: 1234 });
    const fuzz = 0.5 + nextFloat({ rng: seedRng(1234) });
    const initialMs = Math.round(10 * fuzz) * 1000;
    const prolongedMs = Math.round(60 * fuzz) * 1000;
    const run = runTimers(state, effects, (fx) => exits(fx).length > 0);
    expect(run.now).toBe(6 * initialMs + 11 * prolongedMs);
    expect(exits(run.effects)).toEqual([{ type: "exit", code: 1, reason: GIVE_UP_REASON }]);
    expect(run.effects).toContainEqual(expect.objectContaining({ type: "log", level: "error", event: GIVE_UP_REASON }));
    // 16 retry rounds, each to both masters (no master was ever known).
    const retries = run.log.filter((entry) => sentOfType(entry.effects, "RegisterWorker").length > 0);
    expect(retries).toHaveLength(16);
    expect(retries.every((entry) => sent(entry.effects).length === 2)).toBe(true);
    expect(run.log[5]!.now).toBe(6 * initialMs);
    expect(timersSet(run.log[5]!.effects)).toEqual([{ type: "setTimer", key: TIMER_REREGISTER, afterMs: prolongedMs }]);
  });

  it("worker: reregister: counts attempts and re-arms at the initial interval before the 6th", () => {
    const { state } = startWorker();
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(state.connectionAttemptCount).toBe(1);
    expect(sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress)).toEqual([M1, M2]);
    expect(timersSet(effects)).toEqual([{ type: "setTimer", key: TIMER_REREGISTER, afterMs: state.initialRegistrationIntervalMs }]);
  });

  it("worker: reregister: once a master is known, retries with that master only (SPARK-4592)", () => {
    const state = registeredWorker();
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(sent(effects)).toEqual([expect.objectContaining({ type: "RegisterWorker", masterAddress: M1 })]);
    expect(effects.filter((e) => e.type === "send").map((e) => (e as { to: string }).to)).toEqual([M1]);
  });

  it("worker: reregister: past its fast retries to a silent old master, asks every master (a lost MasterChanged must not strand it, §3.5.5)", () => {
    const state = registeredWorker();
    step(state, { type: "peerDisconnected", peer: M1 });
    const targets: string[][] = [];
    for (let i = 0; i < state.protocol.initialRegistrationRetries + 2; i++) {
      const effects = step(state, timer(TIMER_REREGISTER));
      targets.push(sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress));
    }
    const fast = state.protocol.initialRegistrationRetries;
    expect(targets.slice(0, fast)).toEqual(Array.from({ length: fast }, () => [M1]));
    expect(targets.slice(fast)).toEqual([
      [M1, M2],
      [M1, M2],
    ]);
  });

  it("worker: reregister: with OLD-MASTER-ONLY (Spark) or SPARK-23191 on, keeps asking the old master only", () => {
    for (const bug of ["OLD-MASTER-ONLY", "SPARK-23191"]) {
      const state = registeredWorker({}, { bugs: [bug] });
      step(state, { type: "peerDisconnected", peer: M1 });
      for (let i = 0; i < state.protocol.initialRegistrationRetries + 2; i++) {
        const effects = step(state, timer(TIMER_REREGISTER));
        expect(
          sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress),
          `${bug} attempt ${i + 1}`,
        ).toEqual([M1]);
      }
    }
  });

  it("worker: reregister: with preferConfiguredMasterAddress retries the configured address (SPARK-20529)", () => {
    const proxy = address("proxy-for-master-1");
    const { state } = startWorker({ masterAddresses: [proxy] }, { preferConfiguredMasterAddress: true });
    step(state, fromPeer(proxy, { type: "RegisteredWorker", masterAddress: M1, configuredMasterAddress: proxy, duplicate: false }));
    expect(state).toMatchObject({ registered: true, masterAddress: M1, masterAddressToConnect: proxy });
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(effects).toContainEqual({ type: "send", to: proxy, message: expect.objectContaining({ masterAddress: proxy }) });
  });

  it("worker: reregister: without preferConfiguredMasterAddress retries the master's own address", () => {
    const proxy = address("proxy-for-master-1");
    const { state } = startWorker({ masterAddresses: [proxy] });
    // The answer comes through the proxy the worker dialed, which vouches for the master it names.
    step(state, fromPeer(proxy, { type: "RegisteredWorker", masterAddress: M1, configuredMasterAddress: proxy, duplicate: false }));
    step(state, { type: "peerDisconnected", peer: proxy });
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(effects).toContainEqual({ type: "send", to: M1, message: expect.objectContaining({ masterAddress: M1 }) });
  });

  it("worker: reregister: a tick that finds the worker registered only stops the retries", () => {
    const { state } = startWorker();
    state.registered = true; // as if a registration raced the tick
    const effects = step(state, timer(TIMER_REREGISTER));
    expect(effects).toEqual([]);
    expect(state.registrationRetryArmed).toBe(false);
    expect(state.connectionAttemptCount).toBe(1);
  });

  it("worker: reregister: a tick when no retry is pending is a stale timer", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, timer(TIMER_REREGISTER)))).toEqual(["stale-timer"]);
  });
});

describe("worker: RegisteredWorker", () => {
  it("worker: RegisteredWorker: registers, switches master, cancels retries, heartbeats at once, reports latest state", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M1, registeredMessage(M1)));
    expect(state).toMatchObject({
      registered: true,
      connected: true,
      masterAddress: M1,
      activeMasterUrl: M1,
      masterAddressToConnect: M1,
      registrationRetryArmed: false,
      heartbeatStarted: true,
    });
    expect(effects).toEqual([
      { type: "cancelTimer", key: TIMER_REREGISTER },
      { type: "send", to: M1, message: { type: "Heartbeat", workerId: state.workerId, workerAddress: W } },
      { type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 15_000 },
      { type: "send", to: M1, message: { type: "WorkerLatestState", workerId: state.workerId, executors: [], driverIds: [] } },
    ]);
  });

  it("worker: RegisteredWorker: WorkerLatestState lists the executors and drivers the worker runs (SPARK-13604)", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(
      state,
      fromPeer(M1, { type: "LaunchDriver", driverId: "driver-1" as never, desc: { cores: 1, memoryMb: 1, supervise: false, command: {} } }),
    );
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, fromPeer(M1, registeredMessage(M1)));
    expect(sentOfType(effects, "WorkerLatestState")).toEqual([
      expect.objectContaining({
        executors: [{ appId: launchExecutor().appId, execId: 0, cores: 2, memoryMb: 1024, state: "LAUNCHING" }],
        driverIds: ["driver-1"],
      }),
    ]);
  });

  it("worker: RegisteredWorker duplicate: only logs a warning and carries on (SPARK-23191)", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M1, registeredMessage(M1, true)));
    expect(effects[0]).toMatchObject({ type: "log", level: "warn", event: "duplicate-registration" });
    expect(state.registered).toBe(true);
    expect(exits(effects)).toEqual([]);
  });

  it("worker: RegisteredWorker again: keeps ONE heartbeat timer, re-armed, instead of Spark's pile-up (§7 item 24)", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, registeredMessage(M1, true)));
    expect(timersSet(effects)).toEqual([{ type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 15_000 }]);
    expect(sentOfType(effects, "Heartbeat")).toHaveLength(1);
  });
});

describe("worker: RegisterWorkerFailed and MasterInStandby", () => {
  it("worker: RegisterWorkerFailed before registration: exits with code 1", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M1, { type: "RegisterWorkerFailed", message: "Duplicate worker ID" }));
    expect(exits(effects)).toEqual([{ type: "exit", code: 1, reason: expect.stringContaining("Duplicate worker ID") }]);
  });

  it("worker: RegisterWorkerFailed once registered: is ignored (SPARK-4592 race)", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M2, { type: "RegisterWorkerFailed", message: "Duplicate worker ID" }));
    expect(ignoredReasons(effects)).toEqual(["already-registered"]);
    expect(exits(effects)).toEqual([]);
  });

  it("worker: MasterInStandby: is ignored; the retry timer keeps going", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M2, { type: "MasterInStandby" }));
    expect(ignoredReasons(effects)).toEqual(["master-in-standby"]);
    expect(state.registrationRetryArmed).toBe(true);
  });
});

describe("worker: MasterChanged and ReconnectWorker", () => {
  it("worker: MasterChanged while registered: reports executors to the new master", () => {
    const state = registeredWorker();
    step(state, fromPeer(M1, launchExecutor()));
    step(state, fromPeer(M1, launchExecutor({ execId: 1, cores: 1, memoryMb: 512 })));
    step(state, { type: "processLaunched", process: { kind: "executor", appId: launchExecutor().appId, execId: 1 } });
    const effects = step(state, fromPeer(M2, { type: "MasterChanged", masterAddress: M2 }));
    expect(state).toMatchObject({ masterAddress: M2, activeMasterUrl: M2, masterAddressToConnect: M2, connected: true });
    expect(sent(effects, M2)).toEqual([
      {
        type: "WorkerSchedulerStateResponse",
        workerId: state.workerId,
        executors: [
          { appId: launchExecutor().appId, execId: 0, cores: 2, memoryMb: 1024, state: "LAUNCHING" },
          { appId: launchExecutor().appId, execId: 1, cores: 1, memoryMb: 512, state: "RUNNING" },
        ],
        driverIds: [],
      },
    ]);
  });

  it("worker: MasterChanged while retrying: cancels the retries but does not set registered", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M2, { type: "MasterChanged", masterAddress: M2 }));
    expect(effects).toContainEqual({ type: "cancelTimer", key: TIMER_REREGISTER });
    expect(state).toMatchObject({ registered: false, connected: true, registrationRetryArmed: false, activeMasterUrl: M2 });
  });

  it("worker: ReconnectWorker: registers with every master again, without checking masterUrl", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, { type: "ReconnectWorker", masterUrl: address("someone-else") }));
    expect(sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress)).toEqual([M1, M2]);
    expect(state).toMatchObject({ registered: false, connected: true, registrationRetryArmed: true, connectionAttemptCount: 0 });
  });

  it("worker: ReconnectWorker while retries are pending: does nothing", () => {
    const { state } = startWorker();
    step(state, timer(TIMER_REREGISTER));
    const effects = step(state, fromPeer(M1, { type: "ReconnectWorker", masterUrl: M1 }));
    expect(sent(effects)).toEqual([]);
    expect(state.connectionAttemptCount).toBe(1);
  });
});

describe("worker: heartbeat timer", () => {
  it("worker: heartbeat: sends Heartbeat to the master while connected and re-arms", () => {
    const state = registeredWorker();
    const effects = step(state, timer(TIMER_HEARTBEAT), 15_000);
    expect(effects).toEqual([
      { type: "send", to: M1, message: { type: "Heartbeat", workerId: state.workerId, workerAddress: W } },
      { type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 15_000 },
    ]);
  });

  it("worker: heartbeat: sends nothing while disconnected but keeps ticking", () => {
    const state = registeredWorker();
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, timer(TIMER_HEARTBEAT));
    expect(effects).toEqual([{ type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 15_000 }]);
  });

  it("worker: heartbeat: a tick before any registration is a stale timer", () => {
    const { state } = startWorker();
    expect(ignoredReasons(step(state, timer(TIMER_HEARTBEAT)))).toEqual(["stale-timer"]);
  });

  it("worker: heartbeat: connected without a master (broken state) drops the beat with a log", () => {
    const state = registeredWorker();
    state.masterAddress = null;
    const effects = step(state, timer(TIMER_HEARTBEAT));
    expect(effects[0]).toMatchObject({ type: "log", event: "dropped-no-master", fields: { type: "Heartbeat" } });
  });
});

describe("worker: peerDisconnected", () => {
  it("worker: peerDisconnected from the master: disconnects and registers with every master again", () => {
    const state = registeredWorker();
    const effects = step(state, { type: "peerDisconnected", peer: M1 });
    expect(state).toMatchObject({ connected: false, registered: false, registrationRetryArmed: true });
    expect(sentOfType(effects, "RegisterWorker").map((m) => m.masterAddress)).toEqual([M1, M2]);
  });

  it("worker: peerDisconnected from masterAddressToConnect: also counts as losing the master", () => {
    const proxy = address("proxy");
    const { state } = startWorker({ masterAddresses: [proxy] });
    step(state, fromPeer(M1, { type: "RegisteredWorker", masterAddress: M1, configuredMasterAddress: proxy, duplicate: false }));
    step(state, { type: "peerDisconnected", peer: proxy });
    expect(state.connected).toBe(false);
  });

  it("worker: peerDisconnected from any other peer: ignored silently (disconnects are broadcast)", () => {
    const state = registeredWorker();
    expect(step(state, { type: "peerDisconnected", peer: address("some-driver") })).toEqual([]);
    expect(state.connected).toBe(true);
  });

  it("worker: peerDisconnected twice: the second finds retries pending and does nothing", () => {
    const state = registeredWorker();
    step(state, { type: "peerDisconnected", peer: M1 });
    const effects = step(state, { type: "peerDisconnected", peer: M1 });
    expect(sent(effects)).toEqual([]);
  });
});
