import { describe, expect, it } from "vitest";
import { driverId } from "../../../src/protocol/ids.js";
import { driverRelaunchTimerKey } from "../../../src/protocol/worker/index.js";
import type { WorkerState } from "../../../src/protocol/worker/index.js";
import type { DriverDescription } from "../../../src/protocol/messages.js";
import {
  DRIVER,
  driverDesc,
  driverRef,
  fromPeer,
  ignoredReasons,
  launchDriver,
  M1,
  registeredWorker,
  sent,
  sentOfType,
  step,
  timer,
  W,
} from "./fixtures.js";

const RELAUNCH_KEY = driverRelaunchTimerKey(DRIVER);

function withDriver(desc: Partial<DriverDescription> = {}, protocol = {}): WorkerState {
  const state = registeredWorker({}, protocol);
  step(state, fromPeer(M1, launchDriver(desc)));
  return state;
}

describe("worker: LaunchDriver", () => {
  it("worker: LaunchDriver: creates a runner, counts its resources and launches it (no masterUrl check)", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(M1, launchDriver({ cores: 2, memoryMb: 2048 })));
    expect(effects).toEqual([
      {
        type: "launch",
        spec: {
          kind: "driver",
          driverId: DRIVER,
          desc: driverDesc({ cores: 2, memoryMb: 2048 }),
          workerAddress: W,
          workerId: state.workerId,
        },
      },
    ]);
    expect(state.drivers[DRIVER]).toMatchObject({ phase: "launching", killed: false, launchedAtMs: null, nextBackoffMs: 1_000 });
    expect(state).toMatchObject({ coresUsed: 2, memoryUsed: 2048 });
  });

  it("worker: LaunchDriver delivered twice: the duplicate is ignored", () => {
    const state = withDriver();
    expect(ignoredReasons(step(state, fromPeer(M1, launchDriver())))).toEqual(["duplicate-driver"]);
    expect(state.coresUsed).toBe(1);
  });

  it("worker: LaunchDriver for a driver that already finished: ignored as a duplicate", () => {
    const state = withDriver();
    step(state, { type: "processExited", process: driverRef(), exitCode: 0 });
    expect(ignoredReasons(step(state, fromPeer(M1, launchDriver())))).toEqual(["duplicate-driver"]);
  });
});

describe("worker: driver process events", () => {
  it("worker: driver exits 0: FINISHED reported one-way, runner retired, resources freed", () => {
    const state = withDriver();
    step(state, { type: "processLaunched", process: driverRef() }, 1_000);
    expect(state.drivers[DRIVER]).toMatchObject({ phase: "running", launchedAtMs: 1_000 });
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 0 }, 9_000);
    expect(effects).toEqual([{ type: "send", to: M1, message: { type: "DriverStateChanged", driverId: DRIVER, state: "FINISHED" } }]);
    expect(state.drivers).toEqual({});
    expect(state.finishedDrivers).toEqual([{ driverId: DRIVER, cores: 1, memoryMb: 512, state: "FINISHED" }]);
    expect(state).toMatchObject({ coresUsed: 0, memoryUsed: 0 });
  });

  it("worker: unsupervised driver exits non-zero: FAILED", () => {
    const state = withDriver();
    step(state, { type: "processLaunched", process: driverRef() });
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 2 });
    expect(sentOfType(effects, "DriverStateChanged")).toEqual([{ type: "DriverStateChanged", driverId: DRIVER, state: "FAILED" }]);
  });

  it("worker: driver launch fails: ERROR with the exception, even when supervised", () => {
    const state = withDriver({ supervise: true });
    const effects = step(state, { type: "processLaunchFailed", process: driverRef(), error: "no such jar" });
    expect(sentOfType(effects, "DriverStateChanged")).toEqual([
      { type: "DriverStateChanged", driverId: DRIVER, state: "ERROR", exception: "no such jar" },
    ]);
    expect(state.finishedDrivers[0]).toMatchObject({ state: "ERROR", exception: "no such jar" });
  });

  it("worker: supervised driver exits non-zero: relaunched after 1 s, 2 s, 4 s, invisible to the master", () => {
    const state = withDriver({ supervise: true });
    const delays: number[] = [];
    let now = 0;
    for (let run = 0; run < 3; run++) {
      step(state, { type: "processLaunched", process: driverRef() }, now);
      now += 500; // a short run: the back-off keeps doubling
      const exited = step(state, { type: "processExited", process: driverRef(), exitCode: 1 }, now);
      expect(sent(exited)).toEqual([]);
      const armed = exited.find((e) => e.type === "setTimer") as { key: string; afterMs: number };
      expect(armed.key).toBe(RELAUNCH_KEY);
      delays.push(armed.afterMs);
      expect(state.drivers[DRIVER]!.phase).toBe("backoff");
      now += armed.afterMs;
      const relaunched = step(state, timer(RELAUNCH_KEY), now);
      expect(relaunched).toEqual([
        expect.objectContaining({ type: "launch", spec: expect.objectContaining({ kind: "driver", driverId: DRIVER }) }),
      ]);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(state.coresUsed).toBe(1);
  });

  it("worker: supervised driver that ran longer than 5 s: the back-off resets to 1 s", () => {
    const state = withDriver({ supervise: true });
    step(state, { type: "processLaunched", process: driverRef() }, 0);
    step(state, { type: "processExited", process: driverRef(), exitCode: 1 }, 100);
    step(state, timer(RELAUNCH_KEY), 1_100);
    step(state, { type: "processLaunched", process: driverRef() }, 1_100);
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 1 }, 7_000);
    expect(effects).toEqual([{ type: "setTimer", key: RELAUNCH_KEY, afterMs: 1_000 }]);
    expect(state.drivers[DRIVER]!.nextBackoffMs).toBe(2_000);
  });

  it("worker: supervised driver exits 0: FINISHED, no relaunch", () => {
    const state = withDriver({ supervise: true });
    step(state, { type: "processLaunched", process: driverRef() });
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 0 });
    expect(sentOfType(effects, "DriverStateChanged")).toEqual([expect.objectContaining({ state: "FINISHED" })]);
  });

  it("worker: driver exit before the host reported its start: counted as a short run", () => {
    const state = withDriver({ supervise: true });
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 1 }, 60_000);
    expect(effects).toEqual([{ type: "setTimer", key: RELAUNCH_KEY, afterMs: 1_000 }]);
  });

  it("worker: process events for an unknown driver: ignored as unknown-process", () => {
    const state = registeredWorker();
    const ref = driverRef(driverId("driver-x"));
    expect(ignoredReasons(step(state, { type: "processLaunched", process: ref }))).toEqual(["unknown-process"]);
    expect(ignoredReasons(step(state, { type: "processLaunchFailed", process: ref, error: "e" }))).toEqual(["unknown-process"]);
    expect(ignoredReasons(step(state, { type: "processExited", process: ref, exitCode: 0 }))).toEqual(["unknown-process"]);
  });

  it("worker: process events for a driver waiting to relaunch or already running: wrong-runner-state", () => {
    const state = withDriver({ supervise: true });
    step(state, { type: "processLaunched", process: driverRef() });
    expect(ignoredReasons(step(state, { type: "processLaunched", process: driverRef() }))).toEqual(["wrong-runner-state"]);
    step(state, { type: "processExited", process: driverRef(), exitCode: 1 });
    expect(ignoredReasons(step(state, { type: "processExited", process: driverRef(), exitCode: 1 }))).toEqual(["wrong-runner-state"]);
    expect(ignoredReasons(step(state, { type: "processLaunchFailed", process: driverRef(), error: "e" }))).toEqual(["wrong-runner-state"]);
    expect(state.drivers[DRIVER]!.phase).toBe("backoff");
  });

  it("worker: a relaunch timer for a driver not waiting to relaunch: stale", () => {
    const state = withDriver({ supervise: true });
    expect(ignoredReasons(step(state, timer(RELAUNCH_KEY)))).toEqual(["stale-timer"]);
    expect(ignoredReasons(step(state, timer(driverRelaunchTimerKey(driverId("gone")))))).toEqual(["stale-timer"]);
  });

  it("worker: finished drivers are bounded: above workerRetainedDrivers the oldest goes", () => {
    const state = registeredWorker({}, { workerRetainedDrivers: 3 });
    for (let i = 0; i < 4; i++) {
      const id = driverId(`driver-${i}`);
      step(state, fromPeer(M1, launchDriver({}, id)));
      step(state, { type: "processExited", process: driverRef(id), exitCode: 0 });
    }
    expect(state.finishedDrivers.map((d) => d.driverId)).toEqual(["driver-1", "driver-2", "driver-3"]);
  });

  it("worker: a driver finishing while no master is known: DriverStateChanged is dropped with a log", () => {
    const state = withDriver();
    state.masterAddress = null;
    const effects = step(state, { type: "processExited", process: driverRef(), exitCode: 0 });
    expect(effects).toEqual([expect.objectContaining({ type: "log", event: "dropped-no-master", fields: { type: "DriverStateChanged" } })]);
    expect(state.drivers).toEqual({});
  });
});

describe("worker: KillDriver", () => {
  it("worker: KillDriver for a running driver: kill with driverTerminateTimeout, then KILLED on exit", () => {
    const state = withDriver({ supervise: true });
    step(state, { type: "processLaunched", process: driverRef() });
    const effects = step(state, fromPeer(M1, { type: "KillDriver", driverId: DRIVER }));
    expect(effects).toEqual([{ type: "kill", process: driverRef(), graceMs: 10_000 }]);
    const exited = step(state, { type: "processExited", process: driverRef(), exitCode: 143 });
    expect(sentOfType(exited, "DriverStateChanged")).toEqual([{ type: "DriverStateChanged", driverId: DRIVER, state: "KILLED" }]);
    expect(exited.filter((e) => e.type === "setTimer")).toEqual([]);
  });

  it("worker: KillDriver during the relaunch back-off: KILLED at once, the relaunch cancelled", () => {
    const state = withDriver({ supervise: true });
    step(state, { type: "processLaunched", process: driverRef() });
    step(state, { type: "processExited", process: driverRef(), exitCode: 1 });
    const effects = step(state, fromPeer(M1, { type: "KillDriver", driverId: DRIVER }));
    expect(effects).toEqual([
      { type: "cancelTimer", key: RELAUNCH_KEY },
      { type: "send", to: M1, message: { type: "DriverStateChanged", driverId: DRIVER, state: "KILLED" } },
    ]);
    expect(state.drivers).toEqual({});
    expect(state.coresUsed).toBe(0);
  });

  it("worker: KillDriver for an unknown driver: ignored", () => {
    const state = registeredWorker();
    expect(ignoredReasons(step(state, fromPeer(M1, { type: "KillDriver", driverId: DRIVER })))).toEqual(["unknown-driver"]);
  });

  it("worker: KillDriver twice: the second is ignored", () => {
    const state = withDriver();
    step(state, fromPeer(M1, { type: "KillDriver", driverId: DRIVER }));
    expect(ignoredReasons(step(state, fromPeer(M1, { type: "KillDriver", driverId: DRIVER })))).toEqual(["driver-already-killed"]);
  });
});
