/** Master high availability (docs/protocol.md §3): election, beginRecovery, completeRecovery. */
import { hasBug } from "../config.js";
import { copyPlain } from "../copy.js";
import { log, send, setTimer } from "../io.js";
import type { PersistedApp, StoredRecords } from "../records.js";
import { finishApplication, registerApplication, registerWorker, relaunchDriver, removeDriver, removeWorker } from "./lifecycle.js";
import { schedule } from "./schedule.js";
import { transition } from "./transitions.js";
import type { ApplicationInfo, MasterState, MasterStep, WorkerInfo } from "./state.js";
import type { AppId, WorkerId } from "../ids.js";
import { assert } from "../assert.js";

export const COMPLETE_RECOVERY_TIMER = "completeRecovery";

/** ElectedLeader: with an empty store become ALIVE, else recover what the store held. */
export function electedLeader(m: MasterStep, stored: StoredRecords): void {
  const empty = stored.apps.length === 0 && stored.drivers.length === 0 && stored.workers.length === 0;
  m.fx.push(log("info", "electedLeader", { apps: stored.apps.length, drivers: stored.drivers.length, workers: stored.workers.length }));
  if (empty) {
    m.s.recoveryState = "ALIVE";
    return;
  }
  m.s.recoveryState = "RECOVERING";
  beginRecovery(m, stored);
  if (m.s.recoveryState === "RECOVERING") {
    m.fx.push(setTimer(COMPLETE_RECOVERY_TIMER, m.s.config.recoveryTimeoutMs));
  }
}

/**
 * Where a recovered app's executor ids start: at the ids its record reserved, so that no id is
 * handed out twice (I4). With EXECUTOR-ID-REUSE, at 0 as in Spark (only the ids workers report
 * move the counter up). A reservation that is not a non-negative integer counts as none.
 */
function recoveredExecutorIdStart(m: MasterStep, rec: PersistedApp): number {
  const reserved = rec.executorIdsReserved;
  if (hasBug(m.s.config, "EXECUTOR-ID-REUSE") || reserved === undefined) return 0;
  if (!Number.isSafeInteger(reserved) || reserved < 0) {
    m.fx.push(log("warn", "badExecutorIdReservation", { appId: rec.id, executorIdsReserved: String(reserved) }));
    return 0;
  }
  return reserved;
}

/**
 * The stored app to recover for each driver address. Only a second leader (no fencing, §3.5.1)
 * stores two apps for one driver; Spark keeps the first it reads. flint keeps the one registered
 * last, the one the driver follows (a driver takes the newest RegisteredApplication, and registers
 * again after its master is lost: driver/appClient.ts), so that its MasterChangeAcknowledged names
 * an app this master has. Ties (same start time) go to the greater id.
 */
function latestAppPerDriver(apps: readonly PersistedApp[]): Set<PersistedApp> {
  const chosen = new Map<string, PersistedApp>();
  for (const rec of apps) {
    const kept = chosen.get(rec.driverAddress);
    if (kept === undefined || rec.startTimeMs > kept.startTimeMs || (rec.startTimeMs === kept.startTimeMs && rec.id > kept.id))
      chosen.set(rec.driverAddress, rec);
  }
  return new Set(chosen.values());
}

export function beginRecovery(m: MasterStep, stored: StoredRecords): void {
  const recoverable = latestAppPerDriver(stored.apps);
  for (const rec of stored.apps) {
    if (!recoverable.has(rec)) {
      m.fx.push(log("warn", "olderAppOfDriverNotRecovered", { appId: rec.id, driverAddress: rec.driverAddress }));
      continue;
    }
    const firstExecutorId = recoveredExecutorIdStart(m, rec);
    const app: ApplicationInfo = {
      id: rec.id,
      desc: copyPlain(rec.desc),
      driverAddress: rec.driverAddress,
      startTimeMs: rec.startTimeMs,
      // Until it acknowledges this master (or re-registers).
      state: "UNKNOWN",
      executors: {},
      removedExecutorCount: 0,
      workerIdsUsed: [],
      coresGranted: 0,
      nextExecutorId: firstExecutorId,
      executorIdsReserved: firstExecutorId,
      executorLimit: rec.desc.initialExecutorLimit ?? Number.MAX_SAFE_INTEGER,
      retryCount: 0,
      endTimeMs: -1,
    };
    if (!registerApplication(m, app)) continue;
    m.s.recoveryPendingApps.push(app.id);
    m.fx.push(send(app.driverAddress, { type: "MasterChanged", masterAddress: m.s.address }));
  }
  for (const rec of stored.drivers) {
    m.s.drivers[rec.id] = {
      id: rec.id,
      desc: copyPlain(rec.desc),
      startTimeMs: rec.startTimeMs,
      state: "SUBMITTED",
    };
  }
  for (const rec of stored.workers) {
    const w: WorkerInfo = {
      id: rec.id,
      host: rec.host,
      port: rec.port,
      address: rec.address,
      cores: rec.cores,
      memoryMb: rec.memoryMb,
      // Until it answers MasterChanged (or registers again).
      state: "UNKNOWN",
      coresUsed: 0,
      memoryUsed: 0,
      executors: {},
      drivers: {},
      lastHeartbeatMs: m.now,
      adoptOnLatestState: false,
    };
    if (!registerWorker(m, w)) continue;
    m.s.recoveryPendingWorkers.push(w.id);
    m.fx.push(send(w.address, { type: "MasterChanged", masterAddress: m.s.address }));
  }
  // SPARK-46664 [4.0]: nothing left to hear from, so do not wait for the timeout.
  completeRecoveryIfAnswered(m);
}

/** A worker beginRecovery marked has answered: it is gone, DEAD, or ALIVE and owes no report. */
/**
 * A worker has answered the recovery: it is gone, or no longer UNKNOWN, and it does not owe the
 * WorkerLatestState of a registration that revived it (SPARK-46346). Completing before that report
 * would schedule onto cores its executors already hold (Spark stays RECOVERING there too).
 */
export const workerAnswered = (s: MasterState, id: WorkerId): boolean => {
  const w = s.workers[id];
  return w === undefined || !(w.state === "UNKNOWN" || (w.state === "ALIVE" && w.adoptOnLatestState));
};
/** An app has answered the recovery: it is gone or no longer UNKNOWN. */
export const appAnswered = (s: MasterState, id: AppId): boolean => s.apps[id]?.state !== "UNKNOWN";

/**
 * Drops the ids seen to have answered from the end of the pending lists, stopping at the first
 * that has not: O(1) amortized per recovery response, since each id is dropped once. After it,
 * both lists are empty exactly when every worker and app has answered (the lists are supersets
 * of the UNKNOWN entries: test/sim/recovery-bookkeeping.test.ts checks both after every step).
 */
function pruneAnswered(s: MasterState): void {
  const workers = s.recoveryPendingWorkers;
  while (workers.length > 0 && workerAnswered(s, workers[workers.length - 1]!)) workers.pop();
  const apps = s.recoveryPendingApps;
  while (apps.length > 0 && appAnswered(s, apps[apps.length - 1]!)) apps.pop();
}

/**
 * The one guard of completeRecovery on an answer: while RECOVERING, once every worker and app has
 * answered, recovery completes now (SPARK-46664 [4.0]: no wait for the timeout). True when it did.
 */
export function completeRecoveryIfAnswered(m: MasterStep): boolean {
  if (m.s.recoveryState !== "RECOVERING") return false;
  pruneAnswered(m.s);
  if (m.s.recoveryPendingWorkers.length > 0 || m.s.recoveryPendingApps.length > 0) return false;
  completeRecovery(m);
  return true;
}

/** Ends recovery (on its timer, or once everyone answered): callers check the phase (phases.ts, completeRecoveryIfAnswered). */
export function completeRecovery(m: MasterStep): void {
  assert(m.s.recoveryState === "RECOVERING", `completeRecovery in ${m.s.recoveryState}`);
  m.s.recoveryState = "COMPLETING_RECOVERY";
  for (const w of Object.values(m.s.workers)) {
    if (w.state === "UNKNOWN") removeWorker(m, w, "Not responding for recovery");
  }
  for (const a of Object.values(m.s.apps)) {
    if (a.state === "UNKNOWN") finishApplication(m, a);
  }
  // SPARK-21169: before the fix, an app that acknowledged the new leader stayed WAITING for ever.
  if (!hasBug(m.s.config, "SPARK-21169")) {
    for (const a of Object.values(m.s.apps)) {
      if (a.state === "WAITING") transition("app", a, "RUNNING");
    }
  }
  for (const d of Object.values(m.s.drivers)) {
    // Drivers that removeWorker just relaunched are already queued; Spark relaunches them twice.
    if (d.workerId !== undefined || m.s.waitingDrivers.includes(d.id)) continue;
    if (d.desc.supervise) relaunchDriver(m, d);
    else removeDriver(m, d.id, "ERROR");
  }
  m.s.recoveryState = "ALIVE";
  // Every worker and app recovery marked has now answered or been removed.
  m.s.recoveryPendingWorkers = [];
  m.s.recoveryPendingApps = [];
  m.fx.push({ type: "cancelTimer", key: COMPLETE_RECOVERY_TIMER });
  m.fx.push(log("info", "recoveryCompleted", { workers: Object.keys(m.s.addressToWorker).length, apps: Object.keys(m.s.apps).length }));
  schedule(m);
}

export const countDriverResourcesOnRecovery = (m: MasterStep): boolean => !hasBug(m.s.config, "SPARK-12552");
