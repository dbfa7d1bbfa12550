/**
 * The worker's executor runners (docs/protocol.md §1.3 LaunchExecutor, KillExecutor,
 * handleExecutorStateChanged, ApplicationFinished, maybeCleanupApplication; ExecutorRunner).
 *
 * Runner lifecycle (Spark 3.0+): LAUNCHING -> RUNNING when the host reports the process started;
 * LAUNCHING|RUNNING -> KILLED at once on kill(); then, when the process ends, the runner reports
 * its final state (KILLED, EXITED or FAILED) and moves to finishedExecutors.
 */
import { assert } from "../assert.js";
import { hasBug } from "../config.js";
import { fullExecutorId, type AppId, type ExecutorNumber } from "../ids.js";
import { ignored, log, type Effect } from "../io.js";
import type { ApplicationFinished, KillExecutor, LaunchExecutor } from "../messages.js";
import { isExecutorFinished, type ExecutorState } from "../states.js";
import { copyPlain } from "../copy.js";
import { reportExecutorState } from "./executor-sync.js";
import type { ExecutorRunner, FinishedExecutor, WorkerState } from "./state.js";

/** The moves a live runner may make (STYLE.md rule 10); anything else is a programmer error. */
const ALLOWED_MOVES: Record<ExecutorState, readonly ExecutorState[]> = {
  LAUNCHING: ["RUNNING", "KILLED", "FAILED", "EXITED"],
  RUNNING: ["KILLED", "FAILED", "EXITED"],
  KILLED: ["KILLED"],
  FAILED: [],
  LOST: [],
  EXITED: [],
};

function moveRunner(runner: ExecutorRunner, next: ExecutorState): void {
  assert(ALLOWED_MOVES[runner.state].includes(next), `executor ${runner.appId}/${runner.execId}: illegal move ${runner.state} -> ${next}`);
  runner.state = next;
}

/** Spark's trim of finishedExecutors/finishedDrivers: above the limit, drop the oldest tenth. */
export function trimOldest<T>(items: T[], limit: number): void {
  if (items.length > limit) items.splice(0, Math.max(Math.floor(items.length / 10), 1));
}

export function onLaunchExecutor(s: WorkerState, m: LaunchExecutor, fx: Effect[]): void {
  if (m.masterUrl !== s.activeMasterUrl) {
    // Spark logs "Invalid Master" and drops it with no reply: the master keeps it LAUNCHING.
    fx.push(ignored("invalid-master", { masterUrl: m.masterUrl, activeMasterUrl: s.activeMasterUrl }));
    return;
  }
  const fullId = fullExecutorId(m.appId, m.execId);
  // A second LaunchExecutor for a known id is a duplicated delivery, or a master that reused the
  // id (EXECUTOR-ID-REUSE): launching it again would start a second process under the same
  // process ref. A live runner's own reports answer it. A finished one has nothing left to
  // report, so its final state is reported again: the master then removes the executor it is
  // waiting for and frees its cores, instead of keeping it LAUNCHING for ever.
  if (fullId in s.executors) {
    fx.push(ignored("duplicate-executor", { executor: fullId }));
    return;
  }
  const finished = findLastFinished(s, m.appId, m.execId);
  if (finished !== undefined) {
    fx.push(ignored("duplicate-finished-executor", { executor: fullId, state: finished.state }));
    reportExecutorState(
      s,
      {
        type: "ExecutorStateChanged",
        appId: m.appId,
        execId: m.execId,
        state: finished.state,
        ...(finished.message === undefined ? {} : { message: finished.message }),
        ...(finished.exitStatus === undefined ? {} : { exitStatus: finished.exitStatus }),
      },
      fx,
    );
    return;
  }
  // SPARK-27510 [2.3/2.4]: the runner was created RUNNING and reported so before its process
  // existed, so a launch that then fails resets the master's retry count every time.
  const reportsRunningEarly = hasBug(s.protocol, "SPARK-27510");
  s.executors[fullId] = {
    appId: m.appId,
    execId: m.execId,
    cores: m.cores,
    memoryMb: m.memoryMb,
    state: reportsRunningEarly ? "RUNNING" : "LAUNCHING",
    killed: false,
  };
  // The worker never checks its own capacity (docs/protocol.md §1.3, I1): the master decides.
  s.coresUsed += m.cores;
  s.memoryUsed += m.memoryMb;
  fx.push({
    type: "launch",
    spec: {
      kind: "executor",
      appId: m.appId,
      execId: m.execId,
      cores: m.cores,
      memoryMb: m.memoryMb,
      appDesc: copyPlain(m.appDesc),
      driverAddress: m.driverAddress,
      workerAddress: s.address,
      workerId: s.workerId,
    },
  });
  if (reportsRunningEarly) reportExecutorState(s, { type: "ExecutorStateChanged", appId: m.appId, execId: m.execId, state: "RUNNING" }, fx);
}

/** The latest record of a finished executor with this id, if the worker still keeps one. */
function findLastFinished(s: WorkerState, appId: AppId, execId: ExecutorNumber): FinishedExecutor | undefined {
  for (let i = s.finishedExecutors.length - 1; i >= 0; i--) {
    const e = s.finishedExecutors[i]!;
    if (e.appId === appId && e.execId === execId) return e;
  }
  return undefined;
}

export function onKillExecutor(s: WorkerState, m: KillExecutor, fx: Effect[]): void {
  if (m.masterUrl !== s.activeMasterUrl) {
    fx.push(ignored("invalid-master", { masterUrl: m.masterUrl, activeMasterUrl: s.activeMasterUrl }));
    return;
  }
  const fullId = fullExecutorId(m.appId, m.execId);
  const runner = s.executors[fullId];
  if (runner === undefined) {
    fx.push(ignored("unknown-executor", { executor: fullId }));
    return;
  }
  killExecutorRunner(s, runner, fx);
}

/** ExecutorRunner.kill(): KILLED at once; the exit that follows is reported. */
export function killExecutorRunner(s: WorkerState, runner: ExecutorRunner, fx: Effect[]): void {
  if (runner.killed) {
    fx.push(ignored("executor-already-killed", { executor: fullExecutorId(runner.appId, runner.execId) }));
    return;
  }
  runner.killed = true;
  moveRunner(runner, "KILLED");
  fx.push({
    type: "kill",
    process: { kind: "executor", appId: runner.appId, execId: runner.execId },
    graceMs: s.protocol.executorKillGraceMs,
  });
}

function lookupRunner(s: WorkerState, appId: AppId, execId: ExecutorNumber, fx: Effect[]): ExecutorRunner | undefined {
  const runner = s.executors[fullExecutorId(appId, execId)];
  if (runner === undefined) fx.push(ignored("unknown-process", { kind: "executor", appId, execId }));
  return runner;
}

export function onExecutorLaunched(s: WorkerState, appId: AppId, execId: ExecutorNumber, fx: Effect[]): void {
  const runner = lookupRunner(s, appId, execId, fx);
  if (runner === undefined) return;
  if (runner.state === "RUNNING" && !runner.killed && hasBug(s.protocol, "SPARK-27510")) {
    // SPARK-27510: RUNNING was already reported at LaunchExecutor; the start changes nothing.
    fx.push(log("debug", "executor-started", { appId, execId }));
    return;
  }
  if (runner.state !== "LAUNCHING") {
    // Killed before the process came up: the exit that follows reports KILLED.
    fx.push(ignored("wrong-runner-state", { kind: "executor", appId, execId, state: runner.state }));
    return;
  }
  moveRunner(runner, "RUNNING");
  reportExecutorState(s, { type: "ExecutorStateChanged", appId, execId, state: "RUNNING" }, fx);
}

export function onExecutorLaunchFailed(s: WorkerState, appId: AppId, execId: ExecutorNumber, error: string, fx: Effect[]): void {
  const runner = lookupRunner(s, appId, execId, fx);
  if (runner === undefined) return;
  finishRunner(s, runner, runner.killed ? "KILLED" : "FAILED", error, undefined, fx);
}

export function onExecutorExited(s: WorkerState, appId: AppId, execId: ExecutorNumber, exitCode: number, fx: Effect[]): void {
  const runner = lookupRunner(s, appId, execId, fx);
  if (runner === undefined) return;
  if (runner.killed) finishRunner(s, runner, "KILLED", undefined, exitCode, fx);
  else finishRunner(s, runner, "EXITED", `Command exited with code ${exitCode}`, exitCode, fx);
}

/** The runner's final report, then Spark's handleExecutorStateChanged for a finished state. */
function finishRunner(
  s: WorkerState,
  runner: ExecutorRunner,
  state: ExecutorState,
  message: string | undefined,
  exitStatus: number | undefined,
  fx: Effect[],
): void {
  assert(isExecutorFinished(state), `finishRunner with ${state}`);
  moveRunner(runner, state);
  const { appId, execId, cores, memoryMb } = runner;
  const report = { type: "ExecutorStateChanged", appId, execId, state } as const;
  reportExecutorState(
    s,
    {
      ...report,
      ...(message === undefined ? {} : { message }),
      ...(exitStatus === undefined ? {} : { exitStatus }),
    },
    fx,
  );
  delete s.executors[fullExecutorId(appId, execId)];
  s.finishedExecutors.push({
    appId,
    execId,
    cores,
    memoryMb,
    state,
    ...(message === undefined ? {} : { message }),
    ...(exitStatus === undefined ? {} : { exitStatus }),
  });
  trimOldest(s.finishedExecutors, s.protocol.retainedExecutors);
  s.coresUsed -= cores;
  s.memoryUsed -= memoryMb;
  assert(s.coresUsed >= 0 && s.memoryUsed >= 0, "worker resources went negative");
  maybeCleanupApplication(s, appId, fx);
}

export function onApplicationFinished(s: WorkerState, m: ApplicationFinished, fx: Effect[]): void {
  s.finishedApps[m.appId] = true;
  maybeCleanupApplication(s, m.appId, fx);
}

/** Once a finished app has no live executor here, its directories go (once per finish). */
function maybeCleanupApplication(s: WorkerState, appId: AppId, fx: Effect[]): void {
  if (s.finishedApps[appId] !== true) return;
  if (Object.values(s.executors).some((runner) => runner.appId === appId)) return;
  delete s.finishedApps[appId];
  fx.push({ type: "cleanupApp", appId });
}

/** Spark's onStop, executor half. */
export function killAllExecutors(s: WorkerState, fx: Effect[]): void {
  for (const runner of Object.values(s.executors)) {
    if (!runner.killed) killExecutorRunner(s, runner, fx);
  }
}
