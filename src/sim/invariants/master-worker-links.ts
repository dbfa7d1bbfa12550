/**
 * Rules about the master's links to its workers and apps (docs/protocol.md §1.2, §6):
 *
 * - M20 `disconnected-peer-removed`: when the connection to a worker or a driver drops
 *   (Master.onDisconnected), the worker at that address is removed ("got disassociated") and the
 *   app whose driver was there is finished, in the same step: after it, the master maps that
 *   address to no worker and no app.
 * - M21 `kill-executor-not-held`: the master asks a worker to kill only an executor it does not
 *   hold on that worker after the step: one it drops in the same step (an app's end, a driver's
 *   kill request, an executor over capacity), or one the worker reports that the master does not
 *   hold there (WorkerLatestState). An executor it keeps is never killed behind its books' back.
 * - M22 `revived-worker-report-adopted`: a worker that the new leader holds UNKNOWN (read from the
 *   store, no answer yet) and that registers again during recovery is revived (SPARK-46346), and
 *   its next WorkerLatestState is adopted as an answer would be: no executor it reports, of an
 *   app the master knows, that no other worker holds and that fits, is killed.
 * - M23 `registered-app-fresh`: an app registered in a step (applicationRegistered) has not ended
 *   (its end time is -1, Spark's ApplicationInfo.endTime until it finishes) and lists as the
 *   workers it used only those its executors, all launched in that step, run on.
 *
 * O(effects) per step; M22 keeps, per master incarnation, the workers that answered or registered
 * afresh since its election and those revived that still owe their report.
 */
import { hasBug } from "../../protocol/config.js";
import { fullExecutorId } from "../../protocol/ids.js";
import { isExecutorFinished } from "../../protocol/states.js";
import type { MasterStepView } from "./master.js";

export const M20 = "M20:disconnected-peer-removed";
export const M21 = "M21:kill-executor-not-held";
export const M22 = "M22:revived-worker-report-adopted";
export const M23 = "M23:registered-app-fresh";

/** What M22 remembers about one master incarnation's recovery. */
interface RevivalBook {
  /** Workers that answered (WorkerSchedulerStateResponse) or registered afresh since the election. */
  seen: Set<string>;
  /** Workers revived by a registration whose WorkerLatestState has not come yet. */
  owing: Set<string>;
}

/** Per master incarnation (`name#incarnation`). */
export type RevivalLedger = Map<string, RevivalBook>;

export const newRevivalLedger = (): RevivalLedger => new Map();

export function checkMasterWorkerLinks(v: MasterStepView): void {
  const s = v.s;
  if (v.input !== null && v.input.type === "peerDisconnected") {
    const peer = v.input.peer;
    const workerId = s.addressToWorker[peer];
    if (workerId !== undefined)
      v.report(M20, `${v.name}: the connection to ${peer} dropped, but worker ${workerId} there was not removed`, [peer]);
    const appId = s.addressToApp[peer];
    if (appId !== undefined)
      v.report(M20, `${v.name}: the connection to ${peer} dropped, but app ${appId}, whose driver was there, was not finished`, [peer]);
  }
  for (let i = 0; i < v.effects.length; i++) {
    const e = v.effects[i]!;
    if (e.type === "log" && e.event === "applicationRegistered") {
      checkFreshApp(v, String(e.fields["appId"]));
      continue;
    }
    if (e.type !== "send" || e.message.type !== "KillExecutor") continue;
    const workerId = s.addressToWorker[e.to];
    const w = workerId === undefined ? undefined : s.workers[workerId];
    if (w === undefined) continue;
    const id = fullExecutorId(e.message.appId, e.message.execId);
    if (w.executors[id] !== undefined)
      v.report(M21, `${v.name} asked worker ${w.id} to kill executor ${id}, which its books still hold there`, [e.to]);
  }
}

/** M23 for an app registered in this step. */
function checkFreshApp(v: MasterStepView, appId: string): void {
  const app = v.s.apps[appId];
  if (app === undefined) return;
  if (app.endTimeMs !== -1) v.report(M23, `${v.name} registered app ${appId} with end time ${app.endTimeMs}, as if it had ended`);
  const running = new Set<string>();
  for (const k in app.executors) running.add(app.executors[k]!.workerId);
  for (const workerId of app.workerIdsUsed)
    if (!running.has(workerId))
      v.report(M23, `${v.name} registered app ${appId} listing worker ${workerId} as used, where none of its executors runs`);
}

/** M22 for one master step. */
export function checkRevivedWorkerAdopted(v: MasterStepView, ledger: RevivalLedger): void {
  const input = v.input;
  if (input === null) return;
  if (input.type === "leaderElected") {
    ledger.set(v.key, { seen: new Set(), owing: new Set() });
    return;
  }
  if (input.type !== "message") return;
  const m = input.message;
  // Most master steps are heartbeats: only these four messages matter here.
  if (m.type !== "WorkerSchedulerStateResponse" && m.type !== "RegisterWorker" && m.type !== "WorkerLatestState") return;
  const book = ledger.get(v.key);
  if (book === undefined) return;
  const s = v.s;
  if (m.type === "WorkerSchedulerStateResponse") {
    book.seen.add(m.workerId);
    book.owing.delete(m.workerId);
    return;
  }
  if (m.type === "RegisterWorker") {
    let duplicate: boolean | null = null;
    let completed = false;
    for (const e of v.effects) {
      if (e.type === "send" && e.message.type === "RegisteredWorker") duplicate = e.message.duplicate === true;
      else if (e.type === "log" && e.event === "recoveryCompleted") completed = true;
    }
    if (duplicate === false) {
      // Registered afresh (it was removed since, or never stored): nothing of it is owed any more.
      book.seen.add(m.workerId);
      book.owing.delete(m.workerId);
    }
    const recovering = s.recoveryState === "RECOVERING" || completed;
    if (duplicate === true && recovering && !book.seen.has(m.workerId) && !hasBug(s.config, "SPARK-46346")) book.owing.add(m.workerId);
    return;
  }
  if (m.type !== "WorkerLatestState" || !book.owing.delete(m.workerId)) return;
  const w = s.workers[m.workerId];
  if (w === undefined || w.state === "DEAD") return;
  for (const reported of m.executors) {
    const app = s.apps[reported.appId];
    if (app === undefined || isExecutorFinished(reported.state)) continue;
    const held = app.executors[String(reported.execId)];
    if (held !== undefined && held.workerId !== w.id) continue;
    const killed = v.effects.some(
      (e) =>
        e.type === "send" &&
        e.message.type === "KillExecutor" &&
        e.message.appId === reported.appId &&
        e.message.execId === reported.execId,
    );
    const overCapacity = v.effects.some(
      (e) =>
        e.type === "log" &&
        e.event === "reportedExecutorOverCapacity" &&
        e.fields["appId"] === reported.appId &&
        e.fields["execId"] === reported.execId,
    );
    if (killed && !overCapacity)
      v.report(
        M22,
        `${v.name}: worker ${w.id}, revived by its registration during recovery, reported executor ${fullExecutorId(reported.appId, reported.execId)} of a known app, which was killed instead of adopted`,
        [w.address],
      );
  }
}
