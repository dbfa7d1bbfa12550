/**
 * M1: the master's own books agree with each other (docs/protocol.md §6). The master keeps the
 * same facts in several places: an executor in its app's `executors` and as a slot on its
 * worker, an app's granted cores and the cores of its executors, a driver's worker and that
 * worker's `drivers`, the id indexes (`addressToApp`) and the queues (`waitingApps`,
 * `waitingDrivers`). A handler that updates one place and not the other leaves the master
 * scheduling on numbers that describe no cluster; I1/I2/I6 see only the worker's side of it.
 *
 * A whole-state pass: `checkMasterStep` runs it on a master of at most BOOKKEEPING_SIZE_LIMIT
 * workers, apps and drivers after every step, and `scanMaster` on every master every few hundred
 * steps, so a big cluster (1,000 workers) pays it only on the scans.
 */
import type { MasterState } from "../../protocol/master/state.js";
import { isExecutorFinished } from "../../protocol/states.js";
import type { Report } from "./report.js";

export const M1 = "M1:master-books-agree";

/** Above this many workers + apps + drivers, a master's books are checked on the scans only. */
export const BOOKKEEPING_SIZE_LIMIT = 256;

/** Whether the master holds at most `limit` workers, apps and drivers (stops counting at the limit). */
export function masterSmallerThan(s: MasterState, limit: number): boolean {
  let n = 0;
  for (const _ in s.workers) if (++n > limit) return false;
  for (const _ in s.apps) if (++n > limit) return false;
  for (const _ in s.drivers) if (++n > limit) return false;
  return true;
}

/** M1 over the whole master state. */
export function checkMasterBooks(s: MasterState, report: Report, master: string): void {
  checkApps(s, report, master);
  checkDrivers(s, report, master);
  checkRecoveryState(s, report, master);
}

function checkApps(s: MasterState, report: Report, master: string): void {
  for (const appId in s.apps) {
    const app = s.apps[appId]!;
    const nodes = [app.driverAddress];
    if (app.id !== appId) report(M1, `${master} files app ${app.id} under ${appId}`, nodes);
    if (s.addressToApp[app.driverAddress] !== appId)
      report(
        M1,
        `${master} tracks ${s.addressToApp[app.driverAddress] ?? "no app"} for driver ${app.driverAddress}, not its app ${appId}`,
        nodes,
      );
    if (app.state === "RUNNING" || app.state === "WAITING" || app.state === "UNKNOWN") {
      // An active app is in the scheduling queue until it is removed.
      if (!(s.waitingApps as readonly string[]).includes(appId))
        report(M1, `${master}: active app ${appId} (${app.state}) is not in waitingApps`, nodes);
    } else report(M1, `${master} keeps app ${appId} as active in state ${app.state}`, nodes);
    let cores = 0;
    for (const key in app.executors) {
      const e = app.executors[key]!;
      cores += e.cores;
      if (String(e.id) !== key || e.appId !== appId)
        report(M1, `${master}: app ${appId} files executor ${e.appId}/${e.id} under ${key}`, nodes);
      if (e.id >= app.nextExecutorId)
        report(M1, `${master}: app ${appId} holds executor ${e.id}, not below its next executor id ${app.nextExecutorId}`, nodes);
      if (isExecutorFinished(e.state)) continue;
      const w = s.workers[e.workerId];
      const slot = w?.executors[`${appId}/${e.id}`];
      if (w === undefined || w.state === "DEAD")
        report(
          M1,
          `${master}: live executor ${appId}/${e.id} (${e.state}) is placed on ${w === undefined ? "unknown" : "DEAD"} worker ${e.workerId}`,
          nodes,
        );
      else if (slot === undefined)
        report(M1, `${master}: live executor ${appId}/${e.id} (${e.state}) holds nothing on its worker ${e.workerId}`, [
          ...nodes,
          w.address,
        ]);
      else if (slot.cores !== e.cores || slot.memoryMb !== e.memoryMb)
        report(
          M1,
          `${master}: executor ${appId}/${e.id} has ${e.cores} cores / ${e.memoryMb} MiB, its slot on ${e.workerId} ${slot.cores} / ${slot.memoryMb}`,
          [...nodes, w.address],
        );
    }
    if (cores !== app.coresGranted)
      report(M1, `${master}: app ${appId} counts ${app.coresGranted} cores granted, its executors hold ${cores}`, nodes);
  }
  for (const address in s.addressToApp) {
    const id = s.addressToApp[address]!;
    if (s.apps[id]?.driverAddress !== address)
      report(M1, `${master}: addressToApp[${address}] names ${id}, which is not an active app of that driver`, [address]);
  }
  const seen = new Set<string>();
  for (const id of s.waitingApps) {
    if (seen.has(id)) report(M1, `${master}: app ${id} is twice in waitingApps`);
    seen.add(id);
    if (s.apps[id] === undefined) report(M1, `${master}: waitingApps names ${id}, which is not an active app`);
  }
}

function checkDrivers(s: MasterState, report: Report, master: string): void {
  const waiting = new Set<string>();
  for (const id of s.waitingDrivers) {
    if (waiting.has(id)) report(M1, `${master}: driver ${id} is twice in waitingDrivers`);
    waiting.add(id);
    const d = s.drivers[id];
    if (d === undefined) report(M1, `${master}: waitingDrivers names ${id}, which is not an active driver`);
    else if (d.workerId !== undefined) report(M1, `${master}: driver ${id} waits for a worker but is placed on ${d.workerId}`);
  }
  for (const id in s.drivers) {
    const d = s.drivers[id]!;
    if (d.id !== id) report(M1, `${master} files driver ${d.id} under ${id}`);
    if (d.workerId === undefined) {
      // Placed nowhere: queued, or (during a recovery) waiting for a worker to report it.
      if (!waiting.has(id) && s.recoveryState === "ALIVE")
        report(M1, `${master}: driver ${id} (${d.state}) is on no worker and not queued`);
      if (d.state === "RUNNING") report(M1, `${master}: driver ${id} is RUNNING on no worker`);
      continue;
    }
    if (d.state !== "RUNNING") report(M1, `${master}: driver ${id} is placed on ${d.workerId} but ${d.state}`);
    const w = s.workers[d.workerId];
    if (w === undefined || w.state === "DEAD")
      report(M1, `${master}: driver ${id} is placed on ${w === undefined ? "unknown" : "DEAD"} worker ${d.workerId}`);
    else if (w.drivers[id] !== true) report(M1, `${master}: driver ${id} is placed on ${d.workerId}, which does not list it`, [w.address]);
  }
  for (const wid in s.workers) {
    const w = s.workers[wid]!;
    if (w.state === "DEAD") continue;
    for (const id in w.drivers) {
      if (s.drivers[id]?.workerId !== wid)
        report(M1, `${master}: worker ${wid} lists driver ${id}, which is not placed there`, [w.address]);
    }
  }
}

/** Recovery leaves nothing UNKNOWN behind, and a standby master holds nothing yet. */
function checkRecoveryState(s: MasterState, report: Report, master: string): void {
  if (s.recoveryState === "STANDBY") {
    for (const _ in s.workers) return report(M1, `${master} is STANDBY but holds workers`);
    for (const _ in s.apps) return report(M1, `${master} is STANDBY but holds apps`);
    for (const _ in s.drivers) return report(M1, `${master} is STANDBY but holds drivers`);
    return;
  }
  if (s.recoveryState === "RECOVERING") {
    // SPARK-46664: a recovery with nothing left to hear from completes at once, not on its timeout.
    for (const id in s.workers) {
      const w = s.workers[id]!;
      if (w.state === "UNKNOWN" || (w.state === "ALIVE" && w.adoptOnLatestState)) return;
    }
    for (const id in s.apps) if (s.apps[id]!.state === "UNKNOWN") return;
    return report(M1, `${master} is still RECOVERING with every worker and app answered`);
  }
  if (s.recoveryState !== "ALIVE") return;
  for (const id in s.workers)
    if (s.workers[id]!.state === "UNKNOWN") report(M1, `${master} is ALIVE with worker ${id} still UNKNOWN`, [s.workers[id]!.address]);
  for (const id in s.apps)
    if (s.apps[id]!.state === "UNKNOWN") report(M1, `${master} is ALIVE with app ${id} still UNKNOWN`, [s.apps[id]!.driverAddress]);
}
