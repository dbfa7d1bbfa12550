/**
 * M5: the master's timeouts fire neither early nor late (docs/protocol.md §2.1), judged on each
 * CheckForWorkerTimeOut step:
 *  - a worker it removes has been silent for longer than the worker timeout (its last heartbeat
 *    is strictly older than now - workerTimeoutMs: I14 is the other half, none silent longer is
 *    kept);
 *  - no executor is left LAUNCHING once its launch timeout has run out (launched at or before
 *    now - executorLaunchTimeoutMs; M3 checks none is given up before).
 */
import type { MasterStepView } from "./master.js";

export const M5 = "M5:master-timeouts-on-time";

export function checkMasterTimeouts(v: MasterStepView): void {
  if (v.input?.type !== "timer" || v.input.key !== "checkForWorkerTimeOut" || v.nowMs === undefined || v.nowMs < 0) return;
  const s = v.s;
  const now = v.nowMs;
  for (const e of v.effects) {
    if (e.type !== "log" || e.event !== "workerRemoved") continue;
    const w = s.workers[String(e.fields["workerId"])];
    if (w !== undefined && w.lastHeartbeatMs >= now - s.config.workerTimeoutMs)
      v.report(
        M5,
        `${v.name} removed worker ${w.id} ${now - w.lastHeartbeatMs} ms after its last heartbeat, within the timeout (${s.config.workerTimeoutMs} ms)`,
        [w.address],
      );
  }
  const limit = now - s.config.executorLaunchTimeoutMs;
  for (const appId in s.apps) {
    const app = s.apps[appId]!;
    for (const k in app.executors) {
      const e = app.executors[k]!;
      if (e.state === "LAUNCHING" && e.launchedAtMs <= limit)
        v.report(
          M5,
          `${v.name} keeps executor ${appId}/${e.id} LAUNCHING ${now - e.launchedAtMs} ms after its launch (launch timeout ${s.config.executorLaunchTimeoutMs} ms)`,
          [app.driverAddress],
        );
    }
  }
}
