/**
 * The master's safety invariants (docs/protocol.md §6 I1-I15), one documented function each. Every one
 * looks at the master that just stepped, its effects, and the workers/apps those effects or the
 * input name, so a step costs O(effects), not O(cluster); `scanMaster` re-checks every worker of a
 * master and runs every few hundred steps.
 */
import { hasBug } from "../../protocol/config.js";
import type { Effect, Input } from "../../protocol/index.js";
import type { MasterState, WorkerInfo } from "../../protocol/master/state.js";
import { isAppFinished, isExecutorFinished, type ExecutorState, type RecoveryState } from "../../protocol/states.js";
import type { Report } from "./report.js";
import { checkMasterBooks } from "./master-bookkeeping.js";

/** Bookkeeping shared by every master of a run (ids are unique cluster-wide, across failovers). */
export interface MasterLedger {
  /** `appId/execId` of every LaunchExecutor any master sent, and which master incarnation sent it, marked when it did not lead (I4). */
  launchedExecutors: Map<string, string>;
  /** Every driver id any master sent LaunchDriver for (I12). */
  launchedDrivers: Set<string>;
  /** Per master incarnation (`name#incarnation`): the last recovery state seen (I10). */
  recoveryStates: Map<string, RecoveryState>;
  /** Per master incarnation and executor (`name#inc|appId/execId`): the last state told to its driver (I5). */
  executorStates: Map<string, ExecutorState>;
  /** Per master incarnation: the ids its store held when it was elected, until its recovery completes (I11). */
  recoveries: Map<string, { apps: Array<{ id: string; driverAddress: string }>; workers: string[]; drivers: string[] }>;
  /** Whether each driver id some master launched or recovered is supervised (I13). */
  driverSupervised: Map<string, boolean>;
  /** Per `masterKey|appId`: the abnormal executor exits that master accepted since the app's last RUNNING report (I15). */
  executorFailures: Map<string, number>;
  /**
   * `appId/execId` launched again by another master, with EXECUTOR-ID-REUSE on (Spark's §3.5.6,
   * where the reuse itself fails I4) or by two masters of which one did not lead (§3.5.1): two
   * processes share one executor's name and address, and what follows on other checks is
   * labelled with it.
   */
  reusedExecutors: Set<string>;
}

export const newMasterLedger = (): MasterLedger => ({
  launchedExecutors: new Map(),
  launchedDrivers: new Set(),
  recoveryStates: new Map(),
  executorStates: new Map(),
  recoveries: new Map(),
  driverSupervised: new Map(),
  executorFailures: new Map(),
  reusedExecutors: new Set(),
});

/** The step being checked. */
export interface MasterStepView {
  /** `name#incarnation` of the master. */
  key: string;
  name: string;
  s: MasterState;
  input: Input | null;
  effects: readonly Effect[];
  /** Whether the election service says this master holds the leadership now. */
  isLeader: boolean;
  /** The master's clock (ctx.now, epoch ms) at this step; I14 compares heartbeat times with it. Unknown: -1. */
  nowMs?: number;
  ledger: MasterLedger;
  report: Report;
}

type Send = Extract<Effect, { type: "send" }>;

/**
 * I1: a worker's cores and memory are never over-committed in the master's view (0 <= used <= total).
 * Spark's recovery adopts reported executors without a capacity check (§3.5.4); flint adopts only
 * what fits, so going over the top is a bug there too, as is going below zero (SPARK-12552).
 */
export function checkWorkerNotOvercommitted(w: WorkerInfo, report: Report, master: string): void {
  if (w.state === "DEAD") return;
  if (w.coresUsed < 0 || w.memoryUsed < 0 || w.coresUsed > w.cores || w.memoryUsed > w.memoryMb) {
    report(
      "I1:worker-not-overcommitted",
      `${master} counts ${w.coresUsed}/${w.cores} cores and ${w.memoryUsed}/${w.memoryMb} MiB used on ${w.id}`,
      [w.address],
    );
  }
}

/**
 * I6 (the master's half): every executor holding resources on a live worker is one of its app's
 * live executors, placed on that worker, and the worker's used cores are the sum of what it holds.
 */
export function checkWorkerBookkeeping(s: MasterState, w: WorkerInfo, report: Report, master: string): void {
  if (w.state === "DEAD") return;
  let cores = 0;
  let memory = 0;
  for (const key in w.executors) {
    const slot = w.executors[key]!;
    cores += slot.cores;
    memory += slot.memoryMb;
    const e = s.apps[slot.appId]?.executors[String(slot.execId)];
    if (e === undefined || e.workerId !== w.id)
      report(
        "I6:executor-recorded-on-worker-and-app",
        `${master}: worker ${w.id} holds executor ${key}, which its app does not list on that worker`,
        [w.address],
      );
  }
  for (const id in w.drivers) {
    const d = s.drivers[id];
    if (d !== undefined) {
      cores += d.desc.cores;
      memory += d.desc.memoryMb;
    }
  }
  if (cores !== w.coresUsed || memory !== w.memoryUsed) {
    report(
      "I6:executor-recorded-on-worker-and-app",
      `${master}: worker ${w.id} counts ${w.coresUsed} cores / ${w.memoryUsed} MiB used but holds ${cores} / ${memory}`,
      [w.address],
    );
  }
}

/**
 * I2: an app is never granted more cores than it asked for (maxCores, else defaultCores). Spark's
 * recovery adopts reported executors without checking the app's limit (§3.5.4); flint adopts only
 * what fits, so going over is a bug there too.
 */
export function checkAppCoresWithinLimit(s: MasterState, appId: string, report: Report, master: string): void {
  const app = s.apps[appId];
  if (app === undefined) return;
  const limit = app.desc.maxCores ?? s.config.defaultCores;
  if (app.coresGranted > limit) {
    report("I2:app-cores-within-limit", `${master} granted app ${appId} ${app.coresGranted} cores, above its limit ${limit}`, [
      app.driverAddress,
    ]);
  }
}

/** I3: when an executor is created, the app's live executors do not exceed its executor limit. */
export function checkExecutorLimit(v: MasterStepView, appId: string): void {
  const app = v.s.apps[appId];
  // No limit (no dynamic allocation, the usual case): no count of entries can exceed it.
  if (app === undefined || app.executorLimit >= Number.MAX_SAFE_INTEGER) return;
  let live = 0;
  for (const id in app.executors) if (!isExecutorFinished(app.executors[id]!.state)) live++;
  if (live > app.executorLimit)
    v.report(
      "I3:executor-limit",
      `${v.name} launched an executor for ${appId} with ${live} live executors, above its limit ${app.executorLimit}`,
      [app.driverAddress],
    );
}

/** Marks, in `launchedExecutors`, a launch sent by a master that did not hold the leadership. */
const WITHOUT_LEADERSHIP = " without the leadership";

/**
 * I4: executor ids are unique within an app and never reused, across failovers too. In Spark a
 * later leader reuses the id of an executor no worker reported during recovery (§3.5.6: id
 * counters are not persisted); flint persists a reservation of ids with the app, so a reuse is a
 * bug (EXECUTOR-ID-REUSE switches Spark's back on, and fails here). One exception: two masters
 * of which one launched without holding the leadership (§3.5.1, no fencing, already a weakness
 * of I7) each hand out ids from their own reservation, and those can meet.
 */
export function checkExecutorIdFresh(v: MasterStepView, e: Send & { message: { type: "LaunchExecutor" } }): void {
  const key = `${e.message.appId}/${e.message.execId}`;
  const by = v.ledger.launchedExecutors.get(key);
  if (by !== undefined) {
    const sameMaster = by === v.key || by === v.key + WITHOUT_LEADERSHIP;
    const splitBrain = !sameMaster && (!v.isLeader || by.endsWith(WITHOUT_LEADERSHIP));
    if (!sameMaster && (splitBrain || hasBug(v.s.config, "EXECUTOR-ID-REUSE"))) v.ledger.reusedExecutors.add(key);
    v.report(
      "I4:executor-id-never-reused",
      `${v.name} launched executor ${key} a second time (first by ${by})`,
      [e.to],
      splitBrain ? "§3.5.1 no fencing: a master without the leadership launched under the same id" : undefined,
    );
  }
  v.ledger.launchedExecutors.set(key, v.isLeader ? v.key : v.key + WITHOUT_LEADERSHIP);
}

/**
 * I5: executor states move LAUNCHING -> RUNNING -> finished, as the master tells the driver: a
 * RUNNING update follows LAUNCHING, and nothing follows a finished state.
 */
export function checkExecutorTransition(v: MasterStepView, appId: string, execId: number, next: ExecutorState, driver: string): void {
  const key = `${v.key}|${appId}/${execId}`;
  const prev = v.ledger.executorStates.get(key);
  // Two processes under one executor id (a later leader reused it, EXECUTOR-ID-REUSE) report two lifecycles.
  const weakness = v.ledger.reusedExecutors.has(`${appId}/${execId}`) ? "§3.5.6 a later leader reused the executor's id" : undefined;
  if (prev !== undefined && isExecutorFinished(prev))
    v.report("I5:executor-state-order", `${v.name} reported executor ${appId}/${execId} ${next} after it was ${prev}`, [driver], weakness);
  else if (next === "RUNNING" && prev !== undefined && prev !== "LAUNCHING")
    v.report("I5:executor-state-order", `${v.name} reported executor ${appId}/${execId} RUNNING after ${prev}`, [driver], weakness);
  v.ledger.executorStates.set(key, next);
}

/**
 * I7: only a leader registers workers or applications or schedules: launches need ALIVE (and, with
 * an election service, the leadership); registrations need a master that is not STANDBY.
 */
export function checkOnlyLeaderActs(v: MasterStepView, e: Send): void {
  const t = e.message.type;
  if (t === "LaunchExecutor" || t === "LaunchDriver") {
    if (v.s.recoveryState !== "ALIVE")
      v.report("I7:only-leader-schedules", `${v.name} sent ${t} to ${e.to} in ${v.s.recoveryState}`, [e.to]);
    // An ALIVE master that has not yet processed its loss of leadership is Spark's §3.5.1 (no fencing).
    else if (!v.isLeader)
      v.report("I7:only-leader-schedules", `${v.name} sent ${t} to ${e.to} without holding the leadership`, [e.to], "§3.5.1 no fencing");
  } else if (t === "RegisteredWorker" || t === "RegisteredApplication") {
    if (v.s.recoveryState === "STANDBY") v.report("I7:only-leader-registers", `${v.name} sent ${t} to ${e.to} in STANDBY`, [e.to]);
    else if (!v.isLeader)
      v.report("I7:only-leader-registers", `${v.name} sent ${t} to ${e.to} without holding the leadership`, [e.to], "§3.5.1 no fencing");
  }
}

/** I8: a worker id, and separately a worker address, is registered at most once among the non-dead workers. */
export function checkWorkerRegisteredOnce(s: MasterState, report: Report, master: string): void {
  const byAddress = new Map<string, string>();
  for (const id in s.workers) {
    const w = s.workers[id]!;
    if (w.state === "DEAD") continue;
    const other = byAddress.get(w.address);
    if (other !== undefined)
      report("I8:worker-registered-once", `${master} has workers ${other} and ${id} alive at ${w.address}`, [w.address]);
    byAddress.set(w.address, id);
    if (s.addressToWorker[w.address] !== id)
      report("I8:worker-registered-once", `${master}: addressToWorker[${w.address}] is ${s.addressToWorker[w.address]}, not ${id}`, [
        w.address,
      ]);
  }
}

/**
 * I8 on a registration step, for the address just acknowledged (the whole-state form runs in
 * `scanMaster`): at most one non-dead worker holds it, and addressToWorker names that worker. A
 * pass over the workers with no allocation (the whole-state form builds an index: O(workers) per
 * registration made registering a 1,000-worker cluster quadratic in allocations).
 */
export function checkWorkerAddressRegisteredOnce(s: MasterState, address: string, report: Report, master: string): void {
  let first: string | undefined;
  // Object.keys, not for-in: the workers object is a hash table at this size, and for-in on one
  // costs more per key (the same keys, in the same order).
  const ids = Object.keys(s.workers);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const w = s.workers[id]!;
    if (w.state === "DEAD" || w.address !== address) continue;
    if (first !== undefined)
      report("I8:worker-registered-once", `${master} has workers ${first} and ${id} alive at ${w.address}`, [w.address]);
    first = id;
    if (s.addressToWorker[w.address] !== id)
      report("I8:worker-registered-once", `${master}: addressToWorker[${w.address}] is ${s.addressToWorker[w.address]}, not ${id}`, [
        w.address,
      ]);
  }
}

/**
 * I9: an application is registered at most once per driver address: the id a master acknowledges
 * is the one app it tracks for that driver (docs/protocol.md §7 item 20's ghost id breaks it).
 */
export function checkAppRegisteredOnce(v: MasterStepView, e: Send & { message: { type: "RegisteredApplication" } }): void {
  const tracked = v.s.addressToApp[e.to];
  if (tracked !== e.message.appId || v.s.apps[e.message.appId] === undefined) {
    v.report(
      "I9:app-registered-once-per-driver",
      `${v.name} acknowledged app ${e.message.appId} to ${e.to}, but tracks ${tracked ?? "no app"} for that driver`,
      [e.to],
    );
  }
}

/** I10: recovery completes at most once per master life and ends in ALIVE (never left in COMPLETING_RECOVERY). */
export function checkRecoveryOnce(v: MasterStepView): void {
  const now = v.s.recoveryState;
  const prev = v.ledger.recoveryStates.get(v.key);
  if (now === "COMPLETING_RECOVERY") v.report("I10:recovery-completes-once", `${v.name} was left in COMPLETING_RECOVERY after a step`);
  else if (prev === "ALIVE" && now !== "ALIVE") v.report("I10:recovery-completes-once", `${v.name} went from ALIVE back to ${now}`);
  if (prev !== now) v.ledger.recoveryStates.set(v.key, now);
}

/**
 * I11 (checkable part): a worker the master acknowledges with RegisteredWorker is ALIVE in that
 * master, so recovery cannot later drop it as "not responding" (SPARK-46346 breaks it).
 */
export function checkAcknowledgedWorkerAlive(v: MasterStepView, e: Send): void {
  const id = v.s.addressToWorker[e.to];
  const w = id === undefined ? undefined : v.s.workers[id];
  if (w === undefined || w.state !== "ALIVE")
    v.report("I11:acknowledged-worker-alive", `${v.name} acknowledged worker ${id ?? e.to} but holds it as ${w?.state ?? "unknown"}`, [
      e.to,
    ]);
}

/** I12: a relaunched driver always gets a fresh id: no driver id is launched twice (SPARK-19900 breaks it). */
export function checkDriverIdFresh(v: MasterStepView, e: Send & { message: { type: "LaunchDriver" } }): void {
  const id = e.message.driverId;
  if (v.ledger.launchedDrivers.has(id))
    v.report("I12:relaunched-driver-fresh-id", `${v.name} launched driver ${id} a second time (to ${e.to})`, [e.to]);
  v.ledger.launchedDrivers.add(id);
}

/**
 * I11 (registration half): a master never refuses a worker id it holds as live. The worker is
 * acknowledged already; refusing it ("Duplicate worker ID", SPARK-23191) makes a worker that has
 * not yet seen its RegisteredWorker exit, while the master goes on counting on it.
 */
export function checkKnownWorkerNotRefused(v: MasterStepView, workerId: string, e: Send): void {
  const w = v.s.workers[workerId];
  if (w !== undefined && w.state !== "DEAD")
    v.report("I11:known-worker-not-refused", `${v.name} refused the registration of worker ${workerId}, which it holds as ${w.state}`, [
      e.to,
    ]);
}

/**
 * I11 (recovery half): once recovery completes, everything the store held is accounted for: each
 * app confirmed (RUNNING) or removed, each worker confirmed (ALIVE) or removed (never left
 * UNKNOWN), each driver confirmed on a worker, queued for relaunch, or removed. A stored entry the
 * master left out of its lists without removing it is forgotten. (Completed entries beyond the
 * retained-* limits are indistinguishable from forgotten ones; those limits are far above what a
 * recovery meets in the simulator.)
 */
export function checkRecoveryAccountedFor(v: MasterStepView): void {
  const s = v.s;
  if (v.input?.type === "leaderElected") {
    const stored = v.input.stored;
    for (const d of stored.drivers) v.ledger.driverSupervised.set(d.id, d.desc.supervise);
    v.ledger.recoveries.set(v.key, {
      apps: stored.apps.map((a) => ({ id: a.id, driverAddress: a.driverAddress })),
      workers: stored.workers.map((w) => w.id),
      drivers: stored.drivers.map((d) => d.id),
    });
  }
  if (s.recoveryState !== "ALIVE") return;
  const stored = v.ledger.recoveries.get(v.key);
  if (stored === undefined) return;
  v.ledger.recoveries.delete(v.key);
  for (const { id, driverAddress } of stored.apps) {
    const app = s.apps[id];
    if (app !== undefined) {
      if (app.state !== "RUNNING")
        v.report(
          "I11:recovered-app-confirmed",
          `${v.name} completed recovery with app ${id} ${app.state}, neither confirmed (RUNNING) nor removed`,
          [app.driverAddress],
        );
    } else if (!s.completedApps.some((a) => a.id === id)) {
      // Two stored apps of one driver: Spark's registerApplication keeps the first and drops the
      // other silently. Only a second leader (no fencing) or a ghost id (§7 item 20) stores two.
      const twin = stored.apps.some((a) => a.id !== id && a.driverAddress === driverAddress);
      v.report(
        "I11:recovered-app-confirmed",
        `${v.name} completed recovery and forgot app ${id}: neither active nor removed`,
        [driverAddress],
        twin ? "§3.5.1 two leaders stored two apps for one driver; recovery keeps one" : undefined,
      );
    }
  }
  for (const id of stored.workers) {
    const w = s.workers[id];
    if (w !== undefined && w.state === "UNKNOWN")
      v.report("I11:recovered-worker-confirmed", `${v.name} completed recovery with worker ${id} still UNKNOWN`, [w.address]);
  }
  for (const id of stored.drivers) {
    const d = s.drivers[id];
    if (d !== undefined) {
      if (d.workerId === undefined && !s.waitingDrivers.includes(d.id))
        v.report(
          "I11:recovered-driver-confirmed",
          `${v.name} completed recovery with driver ${id} on no worker and not queued for relaunch`,
        );
    } else if (!s.completedDrivers.some((c) => c.id === id))
      v.report("I11:recovered-driver-confirmed", `${v.name} completed recovery and forgot driver ${id}: neither active nor removed`);
  }
}

/**
 * I13: when a worker dies, its executors are reported LOST to their drivers and leave their apps,
 * its drivers leave it (relaunched if supervised, ERROR otherwise), and every active app is told
 * the worker is gone (WorkerRemoved). Checked on the step that removed it (the master's
 * "workerRemoved" log); the schedule() that 3.2+ adds is a liveness matter (L1, SPARK-36509).
 */
export function checkWorkerRemovalReported(v: MasterStepView, workerId: string): void {
  const s = v.s;
  const told = new Set<string>();
  const removedDrivers: Array<{ id: string; state: string }> = [];
  for (const e of v.effects) {
    if (e.type === "send") {
      const m = e.message;
      if (m.type === "ExecutorUpdated" && m.state === "LOST") told.add(`${e.to}|lost|${m.execId}`);
      else if (m.type === "WorkerRemoved" && m.workerId === workerId) told.add(`${e.to}|removed`);
    } else if (e.type === "log" && e.event === "driverRemoved")
      removedDrivers.push({ id: String(e.fields["driverId"]), state: String(e.fields["state"]) });
  }
  const w = s.workers[workerId];
  const nodes = w === undefined ? [] : [w.address];
  for (const appId in s.apps) {
    const app = s.apps[appId]!;
    if (!told.has(`${app.driverAddress}|removed`))
      v.report("I13:worker-loss-reported", `${v.name} removed worker ${workerId} without telling app ${appId} (WorkerRemoved)`, [
        app.driverAddress,
        ...nodes,
      ]);
    for (const id in app.executors) {
      const e = app.executors[id]!;
      // docs/protocol.md §1.2 ExecutorStateChanged: an executor that ends while its app looks finished
      // (UNKNOWN during a recovery counts) leaves its worker but stays in the app (`!app.isFinished`).
      const kept =
        isExecutorFinished(e.state) && isAppFinished(app.state)
          ? "§1.2 an executor that ended while its app was not WAITING or RUNNING stays in the app (Spark's !app.isFinished guard)"
          : undefined;
      if (e.workerId === workerId)
        v.report(
          "I13:worker-loss-reported",
          `${v.name} removed worker ${workerId} but app ${appId} still holds executor ${id} (${e.state}) there`,
          [app.driverAddress, ...nodes],
          kept,
        );
    }
  }
  if (w !== undefined && w.state === "DEAD") {
    for (const key in w.executors) {
      const slot = w.executors[key]!;
      const app = s.apps[slot.appId];
      if (app !== undefined && !told.has(`${app.driverAddress}|lost|${slot.execId}`))
        v.report("I13:worker-loss-reported", `${v.name} removed worker ${workerId} without reporting executor ${key} LOST to its driver`, [
          app.driverAddress,
          ...nodes,
        ]);
    }
  }
  for (const id in s.drivers) {
    if (s.drivers[id]!.workerId === workerId)
      v.report("I13:worker-loss-reported", `${v.name} removed worker ${workerId} but driver ${id} is still bound to it`, nodes);
  }
  for (const { id, state } of removedDrivers) {
    const done = findLast(s.completedDrivers, (d) => d.id === id);
    if (done === undefined || done.workerId !== workerId) continue;
    const supervised = v.ledger.driverSupervised.get(id);
    const want = supervised === true ? "RELAUNCHING" : supervised === false ? "ERROR" : state;
    if (state !== want)
      v.report(
        "I13:worker-loss-reported",
        `${v.name} removed worker ${workerId} and ended its ${supervised ? "supervised" : "unsupervised"} driver ${id} as ${state}, not ${want}`,
        nodes,
      );
  }
}

function findLast<T>(list: readonly T[], pred: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return list[i];
  return undefined;
}

/**
 * I14: every worker leaves the live set within 2 x the worker timeout after its last heartbeat.
 * Checked where it is enforced: after each CheckForWorkerTimeOut the master holds no live worker
 * silent for longer than the timeout, and the check is armed again one timeout later (so, in the
 * master's own running time, no worker outlives its last heartbeat by more than two timeouts).
 */
export function checkSilentWorkersRemoved(v: MasterStepView): void {
  const s = v.s;
  const timeoutMs = s.config.workerTimeoutMs;
  if (v.nowMs !== undefined && v.nowMs >= 0) {
    for (const id in s.workers) {
      const w = s.workers[id]!;
      if (w.state !== "DEAD" && w.lastHeartbeatMs < v.nowMs - timeoutMs)
        v.report(
          "I14:silent-worker-removed",
          `${v.name} keeps worker ${id} ${w.state} ${v.nowMs - w.lastHeartbeatMs} ms after its last heartbeat (timeout ${timeoutMs} ms)`,
          [w.address],
        );
    }
  }
  if (!v.effects.some((e) => e.type === "setTimer" && e.key === "checkForWorkerTimeOut" && e.afterMs <= timeoutMs))
    v.report("I14:silent-worker-removed", `${v.name} did not re-arm CheckForWorkerTimeOut within ${timeoutMs} ms`);
}

/**
 * I15: an app is removed for executor failures only after maxExecutorRetries consecutive abnormal
 * exits (counted from the executor reports the master accepted; a RUNNING report resets the
 * count), and only if none of its executors is RUNNING (as the master last told its driver).
 */
export function checkAppRemovedForFailures(
  v: MasterStepView,
  msg: { appId: string; execId: number; state: ExecutorState; exitStatus?: number | undefined },
): void {
  const key = `${v.key}|${msg.appId}`;
  let accepted = true;
  let removed = false;
  const killed: number[] = [];
  for (const e of v.effects) {
    if (e.type === "log" && e.event === "ignored") accepted = false;
    else if (e.type === "send") {
      if (e.message.type === "ApplicationRemoved" && e.message.message === "FAILED") removed = true;
      else if (e.message.type === "KillExecutor" && e.message.appId === msg.appId) killed.push(e.message.execId);
    }
  }
  if (!accepted) return;
  if (msg.state === "RUNNING") v.ledger.executorFailures.set(key, 0);
  else if (isExecutorFinished(msg.state) && msg.exitStatus !== 0)
    v.ledger.executorFailures.set(key, (v.ledger.executorFailures.get(key) ?? 0) + 1);
  if (!removed) return;
  const failures = v.ledger.executorFailures.get(key) ?? 0;
  const max = v.s.config.maxExecutorRetries;
  if (max < 0 || failures < max)
    v.report(
      "I15:app-removed-after-retries",
      `${v.name} removed app ${msg.appId} as FAILED after ${failures} consecutive executor failures (limit ${max})`,
    );
  for (const id of killed) {
    if (v.ledger.executorStates.get(`${v.key}|${msg.appId}/${id}`) === "RUNNING")
      v.report("I15:app-removed-after-retries", `${v.name} removed app ${msg.appId} as FAILED while its executor ${id} was RUNNING`);
  }
}

/** The workers a master step concerns (scratch of `checkMasterStep`, which is never re-entered: one set for every step). */
const stepWorkers = new Set<string>();

/** Every master check for one step. */
export function checkMasterStep(v: MasterStepView): void {
  const s = v.s;
  checkRecoveryOnce(v);
  if (v.input?.type === "leaderElected" || v.ledger.recoveries.size > 0) checkRecoveryAccountedFor(v);
  const workers = stepWorkers;
  workers.clear();
  let registered: string[] | null = null;
  let removedWorkers: string[] | null = null;
  if (v.input?.type === "message") {
    const id = s.addressToWorker[v.input.from];
    if (id !== undefined) workers.add(id);
  } else if (v.input?.type === "timer" && v.input.key === "checkForWorkerTimeOut") checkSilentWorkersRemoved(v);
  for (let i = 0; i < v.effects.length; i++) {
    const e = v.effects[i]!;
    if (e.type !== "send") {
      if (e.type === "log" && e.event === "workerRemoved") (removedWorkers ??= []).push(String(e.fields["workerId"]));
      continue;
    }
    const m = e.message;
    checkOnlyLeaderActs(v, e);
    switch (m.type) {
      case "LaunchExecutor":
        checkExecutorIdFresh(v, e as Send & { message: typeof m });
        checkAppCoresWithinLimit(s, m.appId, v.report, v.name);
        checkExecutorLimit(v, m.appId);
        break;
      case "LaunchDriver":
        checkDriverIdFresh(v, e as Send & { message: typeof m });
        v.ledger.driverSupervised.set(m.driverId, m.desc.supervise);
        break;
      case "RegisterWorkerFailed":
        if (v.input?.type === "message" && v.input.message.type === "RegisterWorker")
          checkKnownWorkerNotRefused(v, v.input.message.workerId, e);
        break;
      case "RegisteredApplication":
        checkAppRegisteredOnce(v, e as Send & { message: typeof m });
        break;
      case "RegisteredWorker":
        (registered ??= []).push(e.to);
        checkAcknowledgedWorkerAlive(v, e);
        break;
      case "ExecutorAdded":
      case "ExecutorUpdated": {
        const appId = s.addressToApp[e.to];
        if (appId !== undefined) checkExecutorTransition(v, appId, m.execId, m.type === "ExecutorAdded" ? "LAUNCHING" : m.state, e.to);
        break;
      }
      default:
        break;
    }
    const id = s.addressToWorker[e.to];
    if (id !== undefined) workers.add(id);
  }
  const msg = v.input?.type === "message" ? v.input.message : null;
  if (removedWorkers !== null) for (const id of removedWorkers) checkWorkerRemovalReported(v, id);
  if (msg !== null && msg.type === "ExecutorStateChanged") checkAppRemovedForFailures(v, msg);
  if (msg !== null && (msg.type === "WorkerSchedulerStateResponse" || msg.type === "WorkerLatestState")) {
    for (const e of msg.executors) checkAppCoresWithinLimit(s, e.appId, v.report, v.name);
  }
  for (const id of workers) {
    const w = s.workers[id];
    if (w === undefined) continue;
    checkWorkerNotOvercommitted(w, v.report, v.name);
    checkWorkerBookkeeping(s, w, v.report, v.name);
  }
  if (registered !== null) for (const address of registered) checkWorkerAddressRegisteredOnce(s, address, v.report, v.name);
}

/** The whole-master scan (every worker and app), run every few hundred steps; returns its size. */
export function scanMaster(s: MasterState, report: Report, master: string): number {
  let size = 0;
  for (const id in s.workers) {
    size++;
    const w = s.workers[id]!;
    checkWorkerNotOvercommitted(w, report, master);
    checkWorkerBookkeeping(s, w, report, master);
  }
  checkWorkerRegisteredOnce(s, report, master);
  for (const id in s.apps) {
    checkAppCoresWithinLimit(s, id, report, master);
  }
  checkMasterBooks(s, report, master);
  return size;
}
