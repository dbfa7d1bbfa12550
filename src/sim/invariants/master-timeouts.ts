/**
 * M5: the master's timeouts fire neither early nor late (docs/protocol.md §2.1), judged on each
 * CheckForWorkerTimeOut step:
 *  - a worker it removes has been silent for longer than the worker timeout (its last heartbeat
 *    is strictly older than now - workerTimeoutMs: I14 is the other half, none silent longer is
 *    kept), and its removal says so as Spark does ("Not receiving heartbeat for <timeout in whole
 *    seconds> seconds");
 *  - no executor is left LAUNCHING once its launch timeout has run out (launched at or before
 *    now - executorLaunchTimeoutMs; M3 checks none is given up before);
 *  - a DEAD worker is culled from the master's books (Spark's REAPER_ITERATIONS,
 *    spark.dead.worker.persistence) exactly when its last heartbeat is older than
 *    now - (deadWorkerPersistence + 1) x workerTimeoutMs: a worker that was DEAD before the step is
 *    gone after it if it is that old, and still there if it is not. One that died in the step
 *    itself is culled at a later check, never in the step that removed it.
 * The DEAD workers and their last heartbeats are noted after each check (a scan, like the
 * master's own) and when a worker dies; a registration may replace a DEAD entry between checks.
 */
import { CHECK_WORKER_TIMEOUT_TIMER } from "../../protocol/master/index.js";
import type { MasterState } from "../../protocol/master/state.js";
import type { MasterStepView } from "./master.js";

export const M5 = "M5:master-timeouts-on-time";

/** Per master incarnation (`name#incarnation`): its DEAD workers, by id, with their last heartbeat (ms). */
export type DeadWorkerLedger = Map<string, Map<string, number>>;

export const newDeadWorkerLedger = (): DeadWorkerLedger => new Map();

function deadWorkers(s: MasterState): Map<string, number> {
  const dead = new Map<string, number>();
  for (const id in s.workers) {
    const w = s.workers[id]!;
    if (w.state === "DEAD") dead.set(id, w.lastHeartbeatMs);
  }
  return dead;
}

/** Notes the workers a non-timer step killed or a registration replaced (O(effects), and O(DEAD workers) on a registration). */
function noteDeaths(v: MasterStepView, dead: Map<string, number>): void {
  for (const e of v.effects) {
    if (e.type !== "log") continue;
    if (e.event === "workerRemoved") {
      const w = v.s.workers[String(e.fields["workerId"])];
      if (w !== undefined && w.state === "DEAD") dead.set(w.id, w.lastHeartbeatMs);
    } else if (e.event === "workerRegistered") {
      for (const id of [...dead.keys()]) if (v.s.workers[id]?.state !== "DEAD") dead.delete(id);
    }
  }
}

export function checkMasterTimeouts(v: MasterStepView, ledger: DeadWorkerLedger): void {
  const s = v.s;
  let dead = ledger.get(v.key);
  if (v.input?.type !== "timer" || v.input.key !== CHECK_WORKER_TIMEOUT_TIMER || v.nowMs === undefined || v.nowMs < 0) {
    if (dead !== undefined && v.effects.length > 0) noteDeaths(v, dead);
    else if (dead === undefined && v.effects.length > 0 && v.effects.some((e) => e.type === "log" && e.event === "workerRemoved")) {
      dead = new Map();
      ledger.set(v.key, dead);
      noteDeaths(v, dead);
    }
    return;
  }
  const now = v.nowMs;
  // Spark's text, with the timeout in whole seconds (workerTimeoutMs / 1000, a Long division).
  const silentFor = `Not receiving heartbeat for ${Math.floor(s.config.workerTimeoutMs / 1000)} seconds`;
  for (const e of v.effects) {
    if (e.type !== "log" || e.event !== "workerRemoved") continue;
    if (e.fields["message"] !== silentFor)
      v.report(
        M5,
        `${v.name} removed worker ${String(e.fields["workerId"])} on its timeout check saying "${String(e.fields["message"])}", not "${silentFor}"`,
      );
    const w = s.workers[String(e.fields["workerId"])];
    if (w !== undefined && w.lastHeartbeatMs >= now - s.config.workerTimeoutMs)
      v.report(
        M5,
        `${v.name} removed worker ${w.id} ${now - w.lastHeartbeatMs} ms after its last heartbeat, within the timeout (${s.config.workerTimeoutMs} ms)`,
        [w.address],
      );
  }
  const cullBeforeMs = now - (s.config.deadWorkerPersistence + 1) * s.config.workerTimeoutMs;
  if (dead !== undefined) {
    for (const [id, lastHeartbeatMs] of dead) {
      const w = s.workers[id];
      if (w === undefined) {
        if (lastHeartbeatMs >= cullBeforeMs)
          v.report(
            M5,
            `${v.name} culled DEAD worker ${id} ${now - lastHeartbeatMs} ms after its last heartbeat, before ${s.config.deadWorkerPersistence + 1} worker timeouts (${now - cullBeforeMs} ms)`,
          );
      } else if (w.state === "DEAD" && w.lastHeartbeatMs < cullBeforeMs)
        v.report(
          M5,
          `${v.name} keeps DEAD worker ${id} ${now - w.lastHeartbeatMs} ms after its last heartbeat, past ${s.config.deadWorkerPersistence + 1} worker timeouts (${now - cullBeforeMs} ms)`,
          [w.address],
        );
    }
  }
  const after = deadWorkers(s);
  if (after.size > 0 || dead !== undefined) ledger.set(v.key, after);
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
