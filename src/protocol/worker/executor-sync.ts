/**
 * ExecutorStateChanged as the [3.2+] ask (SPARK-34245, SPARK-37151; docs/protocol.md §1.3 and §7 item
 * 8): the worker keeps each report pending until the master answers ExecutorStateChangedResponse,
 * re-sends it when the ask times out, and exits after executorStateSyncMaxAttempts failures.
 *
 * One pending report per executor (the timer key is per full id): a newer report for the same
 * executor replaces the older one, so a stale RUNNING is never re-sent after EXITED. The failure
 * counter carries over, as Spark keeps one counter per full id.
 */
import { hasBug } from "../config.js";
import { fullExecutorId } from "../ids.js";
import { cancelTimer, exit, ignored, log, send, setTimer, type Effect } from "../io.js";
import type { ExecutorStateChanged, ExecutorStateChangedResponse } from "../messages.js";
import { executorStateSyncTimerKey, type WorkerState } from "./state.js";

function copyReport(m: ExecutorStateChanged): ExecutorStateChanged {
  const copy: ExecutorStateChanged = { type: "ExecutorStateChanged", appId: m.appId, execId: m.execId, state: m.state };
  if (m.message !== undefined) copy.message = m.message;
  if (m.exitStatus !== undefined) copy.exitStatus = m.exitStatus;
  return copy;
}

/** Spark's syncExecutorStateWithMaster: send the report and wait for the master's answer. */
export function reportExecutorState(s: WorkerState, report: ExecutorStateChanged, fx: Effect[]): void {
  const fullId = fullExecutorId(report.appId, report.execId);
  if (s.masterAddress === null) {
    fx.push(log("warn", "dropped-no-master", { type: report.type, executor: fullId, state: report.state }));
    return;
  }
  if (hasBug(s.protocol, "SPARK-34245")) {
    // [<= 3.1] a one-way send: if it is lost, the master never learns the executor finished and
    // keeps its cores (docs/protocol.md §7 item 8).
    fx.push(send(s.masterAddress, copyReport(report)));
    return;
  }
  const previous = s.pendingExecutorStateSyncs[fullId];
  s.pendingExecutorStateSyncs[fullId] = { message: copyReport(report), failures: previous?.failures ?? 0 };
  fx.push(send(s.masterAddress, copyReport(report)));
  fx.push(setTimer(executorStateSyncTimerKey(fullId), s.protocol.askTimeoutMs));
}

export function onExecutorStateChangedResponse(s: WorkerState, m: ExecutorStateChangedResponse, fx: Effect[]): void {
  const fullId = fullExecutorId(m.appId, m.execId);
  const pending = s.pendingExecutorStateSyncs[fullId];
  if (pending === undefined) {
    fx.push(ignored("no-pending-sync", { executor: fullId, state: m.state }));
    return;
  }
  if (pending.message.state !== m.state) {
    // The answer to a report that a newer one replaced: the master is reachable, so the failure
    // counter resets (as any successful ask does in Spark), but the newer report stays pending.
    pending.failures = 0;
    fx.push(log("debug", "superseded-sync-answered", { executor: fullId, answered: m.state, pending: pending.message.state }));
    return;
  }
  delete s.pendingExecutorStateSyncs[fullId];
  fx.push(cancelTimer(executorStateSyncTimerKey(fullId)));
}

/** The ask timed out: count a failure, then re-send or give up. */
export function onExecutorStateSyncTimer(s: WorkerState, key: string, fullId: string, fx: Effect[]): void {
  const pending = s.pendingExecutorStateSyncs[fullId];
  if (pending === undefined) {
    fx.push(ignored("stale-timer", { key }));
    return;
  }
  pending.failures += 1;
  const maxAttempts = s.protocol.executorStateSyncMaxAttempts;
  if (pending.failures >= maxAttempts) {
    const reason = `Failed to send ${pending.message.state} of executor ${fullId} to the master ${maxAttempts} times. Giving up.`;
    fx.push(log("error", "executor-state-sync-failed", { executor: fullId, attempts: pending.failures }));
    fx.push(exit(1, reason));
    return;
  }
  fx.push(log("warn", "executor-state-sync-retry", { executor: fullId, failures: pending.failures }));
  if (s.masterAddress === null) {
    // Unreachable today (a master, once known, is never forgotten); kept so a retry never throws.
    delete s.pendingExecutorStateSyncs[fullId];
    fx.push(log("warn", "dropped-no-master", { type: "ExecutorStateChanged", executor: fullId }));
    return;
  }
  fx.push(send(s.masterAddress, copyReport(pending.message)));
  fx.push(setTimer(key, s.protocol.askTimeoutMs));
}
