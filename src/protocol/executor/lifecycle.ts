/**
 * How an executor ends (docs/protocol.md §1.6 exitExecutor, StopExecutor/Shutdown, onDisconnected,
 * WorkerWatcher). Every path sets `stopping` and emits exactly one `exit`.
 */
import { AssertionError } from "../assert.js";
import type { Address } from "../ids.js";
import { exit, log, send, type Effect } from "../io.js";
import type { ExecutorBackendState } from "./state.js";

/**
 * exit(code) at most once (Spark's stopping.compareAndSet): step() ignores every input once
 * `stopping` is set, so a second exit would be a programmer error.
 */
export function exitOnce(s: ExecutorBackendState, code: number, reason: string, fx: Effect[]): void {
  if (s.stopping) throw new AssertionError(`executor ${s.executorId}: a second exit (${reason})`);
  s.stopping = true;
  fx.push(exit(code, reason));
}

/** Spark's exitExecutor(code, reason, notifyDriver). */
export function exitExecutor(s: ExecutorBackendState, code: number, reason: string, notifyDriver: boolean, fx: Effect[]): void {
  fx.push(log("error", "executor-self-exiting", { code, reason }));
  if (notifyDriver) fx.push(send(s.driverAddress, { type: "RemoveExecutor", executorId: s.executorId, reason }));
  exitOnce(s, code, reason, fx);
}

/** StopExecutor, then Shutdown. Spark stops the executor on a new thread (SPARK-14180) and the
 * process then ends with code 0, which the master reads as a normal exit; with no executor
 * built yet, Shutdown exits with 1. */
export function onStopExecutor(s: ExecutorBackendState, fx: Effect[]): void {
  if (s.constructed) exitOnce(s, 0, "StopExecutor", fx);
  else exitOnce(s, 1, "StopExecutor before the executor was constructed", fx);
}

/** CoarseGrainedExecutorBackend.onDisconnected and WorkerWatcher. Every disconnect of the process
 * is broadcast here, so peers other than the driver and the worker are ignored silently. */
export function onPeerDisconnected(s: ExecutorBackendState, peer: Address, fx: Effect[]): void {
  const isDriver = peer === s.driverAddress;
  const isWorker = peer === s.workerAddress;
  if (!isDriver && !isWorker) return;
  if (s.stopping) {
    fx.push(log("info", "peer-disconnected-while-stopping", { peer }));
    return;
  }
  if (isDriver) exitExecutor(s, 1, `Driver ${peer} disassociated! Shutting down.`, false, fx);
  else exitOnce(s, 1, `Worker ${peer} disassociated`, fx);
}
