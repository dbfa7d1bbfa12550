/**
 * The worker's driver runners (docs/protocol.md §1.3 LaunchDriver, KillDriver,
 * handleDriverStateChanged; DriverRunner and its supervise loop, runCommandWithRetry).
 *
 * A supervised driver that exits non-zero is relaunched inside the worker after a back-off
 * (1 s, 2 s, 4 s, ..., back to 1 s after a run longer than 5 s), invisible to the master. The
 * loop has no bound, as in Spark: `supervise` means "keep it running"; only exit 0 or a kill ends it.
 */
import { assert } from "../assert.js";
import type { DriverId } from "../ids.js";
import { cancelTimer, ignored, setTimer, type Effect } from "../io.js";
import type { DriverStateChanged, KillDriver, LaunchDriver } from "../messages.js";
import type { DriverState } from "../states.js";
import { copyPlain } from "../copy.js";
import { trimOldest } from "./executors.js";
import { sendToMaster } from "./registration.js";
import { driverRelaunchTimerKey, type DriverRunner, type WorkerState } from "./state.js";

function launchEffect(s: WorkerState, runner: DriverRunner): Effect {
  return {
    type: "launch",
    spec: {
      kind: "driver",
      driverId: runner.driverId,
      desc: copyPlain(runner.desc),
      workerAddress: s.address,
      workerId: s.workerId,
    },
  };
}

export function onLaunchDriver(s: WorkerState, m: LaunchDriver, fx: Effect[]): void {
  // LaunchDriver carries no masterUrl (as in Spark): the sender check (authority.ts) already
  // took it only from the active master.
  if (m.driverId in s.drivers || s.finishedDrivers.some((d) => d.driverId === m.driverId)) {
    // Driver ids are fresh per launch (I12): a known id is a duplicated delivery.
    fx.push(ignored("duplicate-driver", { driverId: m.driverId }));
    return;
  }
  const runner: DriverRunner = {
    driverId: m.driverId,
    desc: copyPlain(m.desc),
    phase: "launching",
    killed: false,
    launchedAtMs: null,
    nextBackoffMs: s.protocol.driverRelaunchInitialBackoffMs,
  };
  s.drivers[m.driverId] = runner;
  s.coresUsed += m.desc.cores;
  s.memoryUsed += m.desc.memoryMb;
  fx.push(launchEffect(s, runner));
}

export function onKillDriver(s: WorkerState, m: KillDriver, fx: Effect[]): void {
  const runner = s.drivers[m.driverId];
  if (runner === undefined) {
    fx.push(ignored("unknown-driver", { driverId: m.driverId }));
    return;
  }
  killDriverRunner(s, runner, fx);
}

/** DriverRunner.kill(). */
function killDriverRunner(s: WorkerState, runner: DriverRunner, fx: Effect[]): void {
  if (runner.killed) {
    fx.push(ignored("driver-already-killed", { driverId: runner.driverId }));
    return;
  }
  runner.killed = true;
  if (runner.phase === "backoff") {
    // No process is running. Spark finishes the back-off sleep, sees `killed` and ends KILLED;
    // flint ends it at once (the same outcome, without the wait).
    fx.push(cancelTimer(driverRelaunchTimerKey(runner.driverId)));
    finishDriver(s, runner, "KILLED", undefined, fx);
    return;
  }
  fx.push({
    type: "kill",
    process: { kind: "driver", driverId: runner.driverId },
    graceMs: s.protocol.driverTerminateTimeoutMs,
  });
}

function lookupDriver(s: WorkerState, driverId: DriverId, fx: Effect[]): DriverRunner | undefined {
  const runner = s.drivers[driverId];
  if (runner === undefined) fx.push(ignored("unknown-process", { kind: "driver", driverId }));
  return runner;
}

export function onDriverLaunched(s: WorkerState, driverId: DriverId, now: number, fx: Effect[]): void {
  const runner = lookupDriver(s, driverId, fx);
  if (runner === undefined) return;
  if (runner.phase !== "launching") {
    fx.push(ignored("wrong-runner-state", { kind: "driver", driverId, phase: runner.phase }));
    return;
  }
  runner.phase = "running";
  runner.launchedAtMs = now;
}

export function onDriverLaunchFailed(s: WorkerState, driverId: DriverId, error: string, fx: Effect[]): void {
  const runner = lookupDriver(s, driverId, fx);
  if (runner === undefined) return;
  if (runner.phase === "backoff") {
    fx.push(ignored("wrong-runner-state", { kind: "driver", driverId, phase: runner.phase }));
    return;
  }
  // Spark: an exception while preparing or starting the driver ends it ERROR, never retried.
  finishDriver(s, runner, "ERROR", error, fx);
}

export function onDriverExited(s: WorkerState, driverId: DriverId, exitCode: number, now: number, fx: Effect[]): void {
  const runner = lookupDriver(s, driverId, fx);
  if (runner === undefined) return;
  if (runner.phase === "backoff") {
    fx.push(ignored("wrong-runner-state", { kind: "driver", driverId, phase: runner.phase }));
    return;
  }
  if (runner.killed) {
    finishDriver(s, runner, "KILLED", undefined, fx);
    return;
  }
  if (exitCode === 0) {
    finishDriver(s, runner, "FINISHED", undefined, fx);
    return;
  }
  if (!runner.desc.supervise) {
    finishDriver(s, runner, "FAILED", undefined, fx);
    return;
  }
  const ranMs = runner.launchedAtMs === null ? 0 : now - runner.launchedAtMs;
  if (ranMs > s.protocol.driverRelaunchBackoffResetMs) runner.nextBackoffMs = s.protocol.driverRelaunchInitialBackoffMs;
  const delayMs = runner.nextBackoffMs;
  runner.nextBackoffMs *= 2;
  runner.phase = "backoff";
  runner.launchedAtMs = null;
  fx.push(setTimer(driverRelaunchTimerKey(driverId), delayMs));
}

export function onDriverRelaunchTimer(s: WorkerState, key: string, driverId: DriverId, fx: Effect[]): void {
  const runner = s.drivers[driverId];
  if (runner === undefined || runner.phase !== "backoff") {
    fx.push(ignored("stale-timer", { key }));
    return;
  }
  runner.phase = "launching";
  fx.push(launchEffect(s, runner));
}

/** Spark's handleDriverStateChanged for the runner's final state. */
function finishDriver(s: WorkerState, runner: DriverRunner, state: DriverState, exception: string | undefined, fx: Effect[]): void {
  const { driverId } = runner;
  const { cores, memoryMb } = runner.desc;
  const message: DriverStateChanged = { type: "DriverStateChanged", driverId, state };
  if (exception !== undefined) message.exception = exception;
  sendToMaster(s, message, fx);
  delete s.drivers[driverId];
  s.finishedDrivers.push({ driverId, cores, memoryMb, state, ...(exception === undefined ? {} : { exception }) });
  trimOldest(s.finishedDrivers, s.protocol.workerRetainedDrivers);
  s.coresUsed -= cores;
  s.memoryUsed -= memoryMb;
  assert(s.coresUsed >= 0 && s.memoryUsed >= 0, "worker resources went negative");
}

/** Spark's onStop, driver half. */
export function killAllDrivers(s: WorkerState, fx: Effect[]): void {
  for (const runner of Object.values(s.drivers)) {
    if (!runner.killed) killDriverRunner(s, runner, fx);
  }
}
