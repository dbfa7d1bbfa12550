/** Master high availability (docs/protocol.md §3): election, beginRecovery, completeRecovery. */
import { hasBug } from "../config.js";
import { copyPlain } from "../copy.js";
import { log, send, setTimer } from "../io.js";
import type { PersistedApp, StoredRecords } from "../records.js";
import { finishApplication, registerApplication, registerWorker, relaunchDriver, removeDriver, removeWorker } from "./lifecycle.js";
import { schedule } from "./schedule.js";
import type { ApplicationInfo, MasterStep, WorkerInfo } from "./state.js";

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
    if (kept === undefined || rec.startTimeMs > kept.startTimeMs || (rec.startTimeMs === kept.startTimeMs && rec.id > kept.id)) chosen.set(rec.driverAddress, rec);
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
      state: "WAITING",
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
    app.state = "UNKNOWN";
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
      state: "ALIVE",
      coresUsed: 0,
      memoryUsed: 0,
      executors: {},
      drivers: {},
      lastHeartbeatMs: m.now,
      adoptOnLatestState: false,
    };
    if (!registerWorker(m, w)) continue;
    w.state = "UNKNOWN";
    m.s.recoveryPendingWorkers.push(w.id);
    m.fx.push(send(w.address, { type: "MasterChanged", masterAddress: m.s.address }));
  }
  // SPARK-46664 [4.0]: nothing left to hear from, so do not wait for the timeout.
  if (canCompleteRecovery(m)) completeRecovery(m);
}

/**
 * Every worker and app has answered: none is UNKNOWN, and no worker that a registration revived
 * (SPARK-46346) still owes the WorkerLatestState that reports its executors. Completing before
 * that report would schedule onto cores its executors already hold (Spark stays RECOVERING
 * there too). O(1) amortized: only the ids beginRecovery marked are looked at, and each one is
 * dropped once it is seen to have answered.
 */
export function canCompleteRecovery(m: MasterStep): boolean {
  const workers = m.s.recoveryPendingWorkers;
  while (workers.length > 0) {
    const w = m.s.workers[workers[workers.length - 1]!];
    if (w !== undefined && (w.state === "UNKNOWN" || (w.state === "ALIVE" && w.adoptOnLatestState))) return false;
    workers.pop();
  }
  const apps = m.s.recoveryPendingApps;
  while (apps.length > 0) {
    if (m.s.apps[apps[apps.length - 1]!]?.state === "UNKNOWN") return false;
    apps.pop();
  }
  return true;
}

export function completeRecovery(m: MasterStep): void {
  if (m.s.recoveryState !== "RECOVERING") return;
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
      if (a.state === "WAITING") a.state = "RUNNING";
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
