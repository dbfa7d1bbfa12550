/**
 * Two rules about the master's links to its workers (docs/protocol.md §1.2, §6):
 *
 * - M20 `disconnected-peer-removed`: when the connection to a worker or a driver drops
 *   (Master.onDisconnected), the worker at that address is removed ("got disassociated") and the
 *   app whose driver was there is finished, in the same step: after it, the master maps that
 *   address to no worker and no app.
 * - M21 `kill-executor-not-held`: the master asks a worker to kill only an executor it does not
 *   hold on that worker after the step: one it drops in the same step (an app's end, a driver's
 *   kill request, an executor over capacity), or one the worker reports that the master does not
 *   hold there (WorkerLatestState). An executor it keeps is never killed behind its books' back.
 *
 * O(effects) per step.
 */
import { fullExecutorId } from "../../protocol/ids.js";
import type { MasterStepView } from "./master.js";

export const M20 = "M20:disconnected-peer-removed";
export const M21 = "M21:kill-executor-not-held";

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
    if (e.type !== "send" || e.message.type !== "KillExecutor") continue;
    const workerId = s.addressToWorker[e.to];
    const w = workerId === undefined ? undefined : s.workers[workerId];
    if (w === undefined) continue;
    const id = fullExecutorId(e.message.appId, e.message.execId);
    if (w.executors[id] !== undefined)
      v.report(M21, `${v.name} asked worker ${w.id} to kill executor ${id}, which its books still hold there`, [e.to]);
  }
}
