/**
 * M4: what Master.schedule() leaves behind (docs/protocol.md §4.1), judged on the state after each
 * step of an ALIVE master and the launches of that step. schedule() runs after every event that can
 * free or add resources, so after any step:
 *  - no waiting cluster-mode driver fits on a live worker (drivers are placed first, on any live
 *    worker with enough free cores and memory);
 *  - no app with cores still to grant (at least one step: `coresPerExecutor`, or 1) could start an
 *    executor on a live worker with a step of free cores and an executor's free memory, below its
 *    executor limit;
 *  - an app without `coresPerExecutor` holds every core it was assigned on a worker in one
 *    executor: a worker that got such an executor in this step has no core left for it while the
 *    app still has cores to grant;
 *  - with spreadOut, the cores one step gave an app are spread: a worker that got more than one
 *    step more than another one which could still take a step breaks the round-robin; without
 *    spreadOut, each worker is filled before the next, so at most one worker that got cores in
 *    this step could still take another step.
 * A whole-state pass, run on masters of at most BOOKKEEPING_SIZE_LIMIT workers + apps + drivers.
 */
import type { MasterState, WorkerInfo } from "../../protocol/master/state.js";
import type { MasterStepView } from "./master.js";

export const M4 = "M4:schedule-leaves-nothing-usable";

const coresFree = (w: WorkerInfo): number => w.cores - w.coresUsed;
const memoryFree = (w: WorkerInfo): number => w.memoryMb - w.memoryUsed;

/** M4 for one master step (the state after it, and its launches). */
export function checkScheduleOutcome(v: MasterStepView): void {
  const s = v.s;
  if (s.recoveryState !== "ALIVE") return;
  const alive: WorkerInfo[] = [];
  for (const id in s.workers) if (s.workers[id]!.state === "ALIVE") alive.push(s.workers[id]!);
  for (const id of s.waitingDrivers) {
    const d = s.drivers[id];
    if (d === undefined) continue;
    const fits = alive.find((w) => coresFree(w) >= d.desc.cores && memoryFree(w) >= d.desc.memoryMb);
    if (fits !== undefined)
      v.report(
        M4,
        `${v.name} leaves driver ${id} waiting while worker ${fits.id} has ${coresFree(fits)} cores and ${memoryFree(fits)} MiB free`,
        [fits.address],
      );
  }
  const launched = launchesOf(v);
  for (const appId of s.waitingApps) {
    const app = s.apps[appId];
    if (app === undefined) continue;
    const cpe = app.desc.coresPerExecutor;
    const step = cpe ?? 1;
    const left = (app.desc.maxCores ?? s.config.defaultCores) - app.coresGranted;
    const mem = app.desc.memoryPerExecutorMb;
    const underLimit = Object.keys(app.executors).length < app.executorLimit;
    const assigned = launched.get(appId);
    /** Whether the app's schedule could give this worker one more step now. */
    const couldTake = (w: WorkerInfo): boolean => {
      if (coresFree(w) < step) return false;
      // Only a new executor is judged: without coresPerExecutor an executor grows only within the
      // schedule() pass that placed it, and one step may run several passes (a timer that removes
      // three workers schedules after each), so an executor placed by an earlier pass of this step
      // cannot take more cores now (swarm seed 657).
      return memoryFree(w) >= mem && underLimit;
    };
    if (left >= step) {
      for (const w of alive) {
        if (couldTake(w)) {
          v.report(
            M4,
            `${v.name} leaves app ${appId} ${left} cores short while worker ${w.id} could give it ${step} more (${coresFree(w)} cores, ${memoryFree(w)} MiB free)`,
            [app.driverAddress, w.address],
          );
          break;
        }
      }
    }
    if (assigned === undefined) continue;
    if (s.config.spreadOutApps) {
      let most = 0;
      let mostAt = "";
      for (const [wid, cores] of assigned) if (cores > most) [most, mostAt] = [cores, wid];
      for (const w of alive) {
        const got = assigned.get(w.id) ?? 0;
        if (most > got + step && couldTake(w)) {
          v.report(
            M4,
            `${v.name} gave app ${appId} ${most} cores on ${mostAt} but ${got} on ${w.id}, which could still take ${step} (spreadOut)`,
            [app.driverAddress, w.address],
          );
          break;
        }
      }
    } else {
      const open = alive.filter((w) => (assigned.get(w.id) ?? 0) > 0 && couldTake(w));
      if (open.length > 1)
        v.report(
          M4,
          `${v.name} gave app ${appId} cores on ${open.map((w) => w.id).join(" and ")} and left each able to take more (spreadOut off fills one worker before the next)`,
          [app.driverAddress],
        );
    }
  }
}

/** Per app, the cores this step launched on each worker (by worker id). */
function launchesOf(v: MasterStepView): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const s: MasterState = v.s;
  for (const e of v.effects) {
    if (e.type !== "send" || e.message.type !== "LaunchExecutor") continue;
    const wid = s.addressToWorker[e.to];
    if (wid === undefined) continue;
    let perWorker = out.get(e.message.appId);
    if (perWorker === undefined) out.set(e.message.appId, (perWorker = new Map()));
    perWorker.set(wid, (perWorker.get(wid) ?? 0) + e.message.cores);
  }
  return out;
}
