/**
 * M2: what the master writes to its recovery store follows what it registers and removes
 * (docs/protocol.md §3.2), judged from one master step's effects, so that a store that is down
 * (writes lost) or keeps nothing (recovery mode none) changes nothing here:
 *  - a new app, worker or driver is written (`persist` under its key, with its own fields) before
 *    the master acknowledges it (RegisteredApplication, RegisteredWorker, a successful
 *    SubmitDriverResponse) or, for a relaunched driver, in the step that creates it;
 *  - a removed one (the applicationRemoved, workerRemoved, driverRemoved logs) is deleted
 *    (`unpersist` of its key) in the step that removes it;
 *  - a RegisteredWorker says whether the registration was a duplicate exactly when it was one
 *    (the duplicateWorkerRegistration log), so a new worker's record is the one written;
 *  - an executor id is launched only below the reservation the master wrote for its app, or
 *    read from the store when it was elected (the I4 guarantee across failovers).
 * A master whose next leader reads a store missing a registration forgets it (I11); one that
 * keeps a removed record brings a finished app back; a launch past the reservation is an id a
 * later leader hands out again.
 */
import type { Effect } from "../../protocol/index.js";
import type { MasterState } from "../../protocol/master/state.js";
import type { PersistedRecord } from "../../protocol/records.js";
import type { MasterStepView } from "./master.js";

export const M2 = "M2:store-follows-registrations";

/** Per master incarnation and app (`name#inc|appId`): the executor id reservation it wrote or was elected with. */
export type ReservationLedger = Map<string, number>;
export const newReservationLedger = (): ReservationLedger => new Map();

type Persist = Extract<Effect, { type: "persist" }>;

/**
 * Whether a record's fields are those of the entity the master holds under that id (the fields that
 * never change; the reservation grows within a step, and the launches judge it).
 */
function recordMatches(s: MasterState, r: PersistedRecord): string | null {
  switch (r.kind) {
    case "app": {
      const a = s.apps[r.app.id];
      if (a === undefined) return null; // a write for an app the master does not hold is judged by I9/I11
      if (
        r.app.driverAddress !== a.driverAddress ||
        r.app.startTimeMs !== a.startTimeMs ||
        JSON.stringify(r.app.desc) !== JSON.stringify(a.desc)
      )
        return `app ${a.id}'s record does not carry its driver address, start time and description`;
      return null;
    }
    case "worker": {
      const w = s.workers[r.worker.id];
      if (w === undefined) return null;
      const v = r.worker;
      if (v.host !== w.host || v.port !== w.port || v.address !== w.address || v.cores !== w.cores || v.memoryMb !== w.memoryMb)
        return `worker ${w.id}'s record does not carry its host, port, address, cores and memory`;
      return null;
    }
    case "driver": {
      const d = s.drivers[r.driver.id];
      if (d === undefined) return null;
      if (r.driver.startTimeMs !== d.startTimeMs || JSON.stringify(r.driver.desc) !== JSON.stringify(d.desc))
        return `driver ${d.id}'s record does not carry its start time and description`;
      return null;
    }
  }
}

/** M2 for one master step. */
export function checkStoreFollowsRegistrations(v: MasterStepView, reservations: ReservationLedger): void {
  const s = v.s;
  if (v.input?.type === "leaderElected") {
    for (const a of v.input.stored.apps) {
      const r = a.executorIdsReserved;
      if (r !== undefined && Number.isSafeInteger(r) && r > 0) reservations.set(`${v.key}|${a.id}`, r);
    }
  }
  /** Keys written (persist) so far in this step, in effect order. */
  let written: Set<string> | null = null;
  let deleted: Set<string> | null = null;
  const removed: string[] = [];
  for (let i = 0; i < v.effects.length; i++) {
    const e = v.effects[i]!;
    if (e.type === "persist") {
      (written ??= new Set()).add(e.key);
      const bad = recordMatches(s, (e as Persist).record);
      if (bad !== null) v.report(M2, `${v.name}: ${bad}`);
      const r = (e as Persist).record;
      if (r.kind === "app") reservations.set(`${v.key}|${r.app.id}`, r.app.executorIdsReserved ?? 0);
      continue;
    }
    if (e.type === "unpersist") {
      (deleted ??= new Set()).add(e.key);
      continue;
    }
    if (e.type === "log") {
      if (e.event === "applicationRemoved") removed.push(`app_${String(e.fields["appId"])}`);
      else if (e.event === "workerRemoved") removed.push(`worker_${String(e.fields["workerId"])}`);
      else if (e.event === "driverRemoved") removed.push(`driver_${String(e.fields["driverId"])}`);
      else if (e.event === "driverRelaunched" && !written?.has(`driver_${String(e.fields["driverId"])}`))
        v.report(M2, `${v.name} relaunched a driver as ${String(e.fields["driverId"])} without writing its record first`);
      continue;
    }
    if (e.type !== "send") continue;
    const m = e.message;
    if (m.type === "RegisteredApplication") {
      // A retried registration is answered with the app already written; only a new one must be written here.
      const isNew = v.effects.some((x) => x.type === "log" && x.event === "applicationRegistered" && x.fields["appId"] === m.appId);
      if (isNew && !written?.has(`app_${m.appId}`)) v.report(M2, `${v.name} acknowledged app ${m.appId} before writing its record`, [e.to]);
    } else if (m.type === "RegisteredWorker") {
      const id = s.addressToWorker[e.to];
      // The flag tells the worker whether this registration was new: it must say what the master did.
      const duplicate = v.effects.some((x) => x.type === "log" && x.event === "duplicateWorkerRegistration");
      if (m.duplicate !== duplicate)
        v.report(
          M2,
          `${v.name} acknowledged worker ${id ?? e.to} with duplicate=${m.duplicate}, but the registration was ${duplicate ? "a duplicate" : "new"}`,
          [e.to],
        );
      if (!m.duplicate && id !== undefined && !written?.has(`worker_${id}`))
        v.report(M2, `${v.name} acknowledged worker ${id} before writing its record`, [e.to]);
    } else if (m.type === "SubmitDriverResponse") {
      if (m.success && m.driverId !== undefined && !written?.has(`driver_${m.driverId}`))
        v.report(M2, `${v.name} accepted driver ${m.driverId} before writing its record`, [e.to]);
    } else if (m.type === "LaunchExecutor") {
      const reserved = reservations.get(`${v.key}|${m.appId}`) ?? 0;
      if (m.execId >= reserved)
        v.report(M2, `${v.name} launched executor ${m.appId}/${m.execId} past the ids its store reserves (${reserved})`, [e.to]);
    }
  }
  for (const key of removed) {
    if (!deleted?.has(key)) v.report(M2, `${v.name} removed ${key.replace("_", " ")} without deleting its record`);
  }
}
