/** The master's message handlers (docs/protocol.md §1.2 "Handlers"), one function per message. */
import { hasBug } from "../config.js";
import { ignored, log, send } from "../io.js";
import type { Address, AppId, DriverId } from "../ids.js";
import { fullExecutorId } from "../ids.js";
import type {
  DriverStateChanged,
  ExecutorStateChanged,
  Heartbeat,
  KillExecutors,
  RegisterApplication,
  RegisterWorker,
  RequestDriverStatus,
  RequestExecutors,
  RequestKillDriver,
  RequestSubmitDriver,
  WorkerLatestState,
  WorkerSchedulerStateResponse,
} from "../messages.js";
import { isDriverFinal, isExecutorFinished, isAppFinished } from "../states.js";
import {
  appAddExecutor,
  appRemoveExecutor,
  coresFree,
  coresLeft,
  memoryFree,
  workerAddDriver,
  workerAddExecutor,
  workerRemoveExecutor,
} from "./accounting.js";
import { newApplicationId } from "./ids.js";
import {
  copy,
  createDriver,
  finishApplication,
  killExecutor,
  persistApp,
  persistDriver,
  persistWorker,
  registerApplication,
  registerWorker,
  removeApplication,
  removeDriver,
  removeWorker,
} from "./lifecycle.js";
import { completeRecoveryIfAnswered, countDriverResourcesOnRecovery } from "./recovery.js";
import { schedule } from "./schedule.js";
import { canTransition, transition } from "./transitions.js";
import type { ApplicationInfo, MasterStep, WorkerInfo } from "./state.js";

export function onRegisterWorker(m: MasterStep, msg: RegisterWorker): void {
  const known = m.s.workers[msg.workerId];
  if (known && known.state !== "DEAD" && hasBug(m.s.config, "SPARK-23191")) {
    // [2.3/2.4] a known id is refused, and a worker not yet registered exits on the refusal.
    m.fx.push(log("warn", "duplicateWorkerRegistration", { workerId: msg.workerId }));
    m.fx.push(send(msg.workerAddress, { type: "RegisterWorkerFailed", message: "Duplicate worker ID" }));
    return;
  }
  if (known && known.state !== "DEAD") {
    // SPARK-23191 [3.0+]: a duplicate id is answered as a success. SPARK-46346 [4.0]: an UNKNOWN
    // worker that registers during recovery is alive, and its next WorkerLatestState is adopted.
    if (known.state === "UNKNOWN" && !hasBug(m.s.config, "SPARK-46346")) {
      transition("worker", known, "ALIVE");
      known.lastHeartbeatMs = m.now;
      known.adoptOnLatestState = true;
    }
    m.fx.push(log("warn", "duplicateWorkerRegistration", { workerId: msg.workerId }));
    m.fx.push(
      send(msg.workerAddress, {
        type: "RegisteredWorker",
        masterAddress: m.s.address,
        configuredMasterAddress: msg.masterAddress,
        duplicate: true,
      }),
    );
    completeRecoveryIfAnswered(m);
    return;
  }
  if (Object.keys(m.s.addressToWorker).length >= m.s.config.maxWorkers) {
    m.fx.push(log("warn", "limitReached", { limit: "maxWorkers", value: m.s.config.maxWorkers, workerId: msg.workerId }));
    m.fx.push(
      send(msg.workerAddress, {
        type: "RegisterWorkerFailed",
        message: `The master already has ${m.s.config.maxWorkers} workers (maxWorkers)`,
      }),
    );
    return;
  }
  const w: WorkerInfo = {
    id: msg.workerId,
    host: msg.host,
    port: msg.port,
    address: msg.workerAddress,
    cores: msg.cores,
    memoryMb: msg.memoryMb,
    state: "ALIVE",
    coresUsed: 0,
    memoryUsed: 0,
    executors: {},
    drivers: {},
    lastHeartbeatMs: m.now,
    adoptOnLatestState: false,
  };
  if (!registerWorker(m, w)) {
    m.fx.push(
      send(msg.workerAddress, {
        type: "RegisterWorkerFailed",
        message: `Attempted to re-register worker at same address: ${msg.workerAddress}`,
      }),
    );
    return;
  }
  m.fx.push(log("info", "workerRegistered", { workerId: w.id, address: w.address, cores: w.cores, memoryMb: w.memoryMb }));
  persistWorker(m, w);
  m.fx.push(
    send(msg.workerAddress, {
      type: "RegisteredWorker",
      masterAddress: m.s.address,
      configuredMasterAddress: msg.masterAddress,
      duplicate: false,
    }),
  );
  // A worker that restarted under a new id replaced its UNKNOWN old self at this address: that
  // may have been the last entity recovery waited for (removeWorker does not look).
  if (!completeRecoveryIfAnswered(m)) schedule(m);
}

export function onRegisterApplication(m: MasterStep, msg: RegisterApplication): void {
  const existingId = m.s.addressToApp[msg.driverAddress];
  if (existingId !== undefined && !hasBug(m.s.config, "GHOST-APP")) {
    // docs/protocol.md §7 item 20: Spark persists and acknowledges a second, untracked app id. flint
    // answers a retried registration with the app this driver already has.
    // A driver whose connection to its master broke registers again (driver/appClient.ts): during
    // recovery its registration is its answer, as MasterChangeAcknowledged would be.
    m.fx.push(log("warn", "duplicateAppRegistration", { appId: existingId, driverAddress: msg.driverAddress }));
    m.fx.push(send(msg.driverAddress, { type: "RegisteredApplication", appId: existingId, masterAddress: m.s.address }));
    const app = m.s.apps[existingId]!;
    if (app.state === "UNKNOWN") {
      transition("app", app, "WAITING");
      completeRecoveryIfAnswered(m);
    }
    return;
  }
  if (Object.keys(m.s.apps).length >= m.s.config.maxApplications) {
    m.fx.push(
      log("warn", "limitReached", { limit: "maxApplications", value: m.s.config.maxApplications, driverAddress: msg.driverAddress }),
    );
    m.fx.push(
      send(msg.driverAddress, {
        type: "ApplicationRemoved",
        message: `The master already runs ${m.s.config.maxApplications} applications (maxApplications)`,
      }),
    );
    return;
  }
  const app: ApplicationInfo = {
    id: newApplicationId(m.s, m.now),
    desc: copy(msg.appDesc),
    driverAddress: msg.driverAddress,
    startTimeMs: m.now,
    state: "WAITING",
    executors: {},
    removedExecutorCount: 0,
    workerIdsUsed: [],
    coresGranted: 0,
    nextExecutorId: 0,
    executorIdsReserved: 0,
    executorLimit: msg.appDesc.initialExecutorLimit ?? Number.MAX_SAFE_INTEGER,
    retryCount: 0,
    endTimeMs: -1,
  };
  registerApplication(m, app);
  m.fx.push(log("info", "applicationRegistered", { appId: app.id, name: app.desc.name, driverAddress: app.driverAddress }));
  persistApp(m, app);
  m.fx.push(send(msg.driverAddress, { type: "RegisteredApplication", appId: app.id, masterAddress: m.s.address }));
  schedule(m);
}

export function onExecutorStateChanged(m: MasterStep, from: Address, msg: ExecutorStateChanged): void {
  // 3.2+: an ask that is always answered, so that the worker stops retrying.
  m.fx.push(send(from, { type: "ExecutorStateChangedResponse", appId: msg.appId, execId: msg.execId, state: msg.state }));
  const app = m.s.apps[msg.appId];
  const exec = app?.executors[String(msg.execId)];
  if (!app || !exec) {
    m.fx.push(ignored("unknown-executor", { appId: msg.appId, execId: msg.execId, state: msg.state }));
    return;
  }
  const oldState = exec.state;
  if (msg.state === "RUNNING" && oldState !== "LAUNCHING") {
    // Spark asserts here; the exception aborts the handler. A duplicate report changes nothing.
    m.fx.push(ignored("executor-not-launching", { appId: msg.appId, execId: msg.execId, oldState }));
    return;
  }
  if (!canTransition("executor", oldState, msg.state)) {
    // A report no worker sends for this executor (an ended one reported again in another state, a forged one).
    m.fx.push(ignored("executor-transition-not-allowed", { appId: msg.appId, execId: msg.execId, oldState, state: msg.state }));
    return;
  }
  transition("executor", exec, msg.state);
  if (msg.state === "RUNNING") app.retryCount = 0;
  m.fx.push(
    send(app.driverAddress, {
      type: "ExecutorUpdated",
      execId: exec.id,
      state: msg.state,
      message: msg.message,
      exitStatus: msg.exitStatus,
    }),
  );
  if (isExecutorFinished(msg.state)) {
    // Spark keeps an ended executor in an app that looks finished (`!app.isFinished`, to show it
    // on the UI), and an app still UNKNOWN in a recovery looks finished: once the app answers, the
    // ghost keeps its cores granted and an app at maxCores never gets an executor again. flint
    // keeps only a really finished app's executors (docs/protocol.md §7.27; GHOST-EXECUTOR restores Spark's).
    if (!isAppFinished(app.state) || (app.state === "UNKNOWN" && !hasBug(m.s.config, "GHOST-EXECUTOR"))) appRemoveExecutor(app, exec);
    const w = m.s.workers[exec.workerId];
    if (w) workerRemoveExecutor(w, exec);
    const normalExit = msg.exitStatus === 0;
    const maxRetries = m.s.config.maxExecutorRetries;
    if (!normalExit) {
      app.retryCount += 1;
      if (app.retryCount >= maxRetries && maxRetries >= 0) {
        const anyRunning = Object.values(app.executors).some((e) => e.state === "RUNNING");
        if (!anyRunning) {
          m.fx.push(log("error", "applicationFailed", { appId: app.id, retries: app.retryCount }));
          removeApplication(m, app, "FAILED");
        }
      }
    }
  }
  schedule(m);
}

export function onDriverStateChanged(m: MasterStep, msg: DriverStateChanged): void {
  if (!isDriverFinal(msg.state)) {
    m.fx.push(ignored("unexpected-driver-state", { driverId: msg.driverId, state: msg.state }));
    return;
  }
  removeDriver(m, msg.driverId, msg.state, msg.exception);
}

export function onHeartbeat(m: MasterStep, msg: Heartbeat): void {
  const w = m.s.workers[msg.workerId];
  if (w && w.state !== "DEAD") {
    w.lastHeartbeatMs = m.now;
    return;
  }
  if (w) {
    m.fx.push(log("info", "reconnectWorker", { workerId: msg.workerId }));
    m.fx.push(send(msg.workerAddress, { type: "ReconnectWorker", masterUrl: m.s.address }));
    return;
  }
  if (m.s.recoveryState !== "ALIVE" || hasBug(m.s.config, "CULLED-WORKER-IGNORED")) {
    m.fx.push(ignored("heartbeat-from-unregistered-worker", { workerId: msg.workerId }));
    return;
  }
  // Spark's leader ignores a worker it does not know, even one it culled after a long silence (a
  // pause or a partition longer than deadWorkerPersistence + 1 timeouts): that worker keeps its
  // heartbeats going for ever and never registers again. Asking it to reconnect costs nothing on
  // the wire: a worker that is really unknown registers as new. A standby, or a master still
  // recovering, leaves it alone.
  m.fx.push(log("info", "reconnectWorker", { workerId: msg.workerId }));
  m.fx.push(send(msg.workerAddress, { type: "ReconnectWorker", masterUrl: m.s.address }));
}

export function onMasterChangeAcknowledged(m: MasterStep, appId: AppId): void {
  const app = m.s.apps[appId];
  if (app) transition("app", app, "WAITING");
  else m.fx.push(ignored("unknown-app-acknowledged", { appId }));
  completeRecoveryIfAnswered(m);
}

export function onWorkerSchedulerStateResponse(m: MasterStep, from: Address, msg: WorkerSchedulerStateResponse): void {
  const w = m.s.workers[msg.workerId];
  if (!w || w.state === "DEAD") {
    m.fx.push(ignored("unknown-worker-state-response", { workerId: msg.workerId }));
    // Spark only logs this. But the worker took our MasterChanged (meant for the worker that had
    // its address before it restarted under a new id, or for its own dead record) and stopped
    // retrying its registration: unless asked to register, it would wait for ever (swarm and
    // deposed-leader fuzz seeds). Ask it, as Spark's master does for a heartbeat from a worker it
    // has removed.
    m.fx.push(send(from, { type: "ReconnectWorker", masterUrl: m.s.address }));
  } else {
    transition("worker", w, "ALIVE");
    // A full report: a worker that a registration revived owes no WorkerLatestState any more.
    w.adoptOnLatestState = false;
    adoptReported(m, w, msg.executors, msg.driverIds, false);
  }
  completeRecoveryIfAnswered(m);
}

/**
 * Adds the executors and drivers a worker reports for apps and drivers the master knows. With
 * `killUnknown`, what the master does not know is killed (WorkerLatestState after a revival).
 *
 * Unlike Spark (docs/protocol.md §3.5 item 4), an executor is adopted only if it fits: the worker's
 * free cores and memory and the app's core limit, as the master counts them (I1, I2). One that
 * does not fit (two leaders launched onto the same cores, or the master scheduled onto a worker
 * whose report came late) is killed, so the master's count never exceeds what the worker holds.
 * Every reported id moves the app's counter above it, adopted or not (I4).
 */
function adoptReported(
  m: MasterStep,
  w: WorkerInfo,
  executors: WorkerSchedulerStateResponse["executors"],
  driverIds: DriverId[],
  killUnknown: boolean,
): void {
  for (const reported of executors) {
    const app = m.s.apps[reported.appId];
    if (app !== undefined && !hasBug(m.s.config, "EXECUTOR-ID-REUSE"))
      app.nextExecutorId = Math.max(app.nextExecutorId, reported.execId + 1);
    if (!app || app.executors[String(reported.execId)] || isExecutorFinished(reported.state)) {
      if (killUnknown && !w.executors[fullExecutorId(reported.appId, reported.execId)]) {
        m.fx.push(send(w.address, { type: "KillExecutor", masterUrl: m.s.address, appId: reported.appId, execId: reported.execId }));
      } else if (!app) {
        m.fx.push(ignored("executor-of-unknown-app", { workerId: w.id, appId: reported.appId, execId: reported.execId }));
      }
      continue;
    }
    if (coresFree(w) < reported.cores || memoryFree(w) < reported.memoryMb || coresLeft(app, m.s.config.defaultCores) < reported.cores) {
      m.fx.push(
        log("warn", "reportedExecutorOverCapacity", { workerId: w.id, appId: app.id, execId: reported.execId, cores: reported.cores }),
      );
      m.fx.push(send(w.address, { type: "KillExecutor", masterUrl: m.s.address, appId: reported.appId, execId: reported.execId }));
      continue;
    }
    const e = appAddExecutor(app, w, reported.cores, m.now, reported.execId);
    e.memoryMb = reported.memoryMb;
    workerAddExecutor(w, e);
    transition("executor", e, reported.state);
  }
  for (const id of driverIds) {
    const d = m.s.drivers[id];
    if (!d || (d.workerId !== undefined && d.workerId !== w.id)) {
      if (killUnknown) m.fx.push(send(w.address, { type: "KillDriver", driverId: id }));
      else m.fx.push(ignored("unknown-driver-reported", { workerId: w.id, driverId: id }));
      continue;
    }
    if (d.workerId === w.id) continue;
    d.workerId = w.id;
    transition("driver", d, "RUNNING");
    workerAddDriver(w, d, countDriverResourcesOnRecovery(m));
  }
}

export function onWorkerLatestState(m: MasterStep, msg: WorkerLatestState): void {
  const w = m.s.workers[msg.workerId];
  if (!w || w.state === "DEAD") {
    m.fx.push(ignored("unknown-worker-latest-state", { workerId: msg.workerId }));
    return;
  }
  if (w.adoptOnLatestState) {
    w.adoptOnLatestState = false;
    adoptReported(m, w, msg.executors, msg.driverIds, true);
    // The revived worker has now answered: recovery may be complete (which schedules).
    if (!completeRecoveryIfAnswered(m)) schedule(m);
    return;
  }
  for (const e of msg.executors) {
    if (!w.executors[fullExecutorId(e.appId, e.execId)]) {
      m.fx.push(send(w.address, { type: "KillExecutor", masterUrl: m.s.address, appId: e.appId, execId: e.execId }));
    }
  }
  for (const id of msg.driverIds) {
    if (!w.drivers[id]) m.fx.push(send(w.address, { type: "KillDriver", driverId: id }));
  }
}

export function onUnregisterApplication(m: MasterStep, appId: AppId): void {
  const app = m.s.apps[appId];
  if (!app) {
    m.fx.push(ignored("unknown-app-unregistered", { appId }));
    return;
  }
  finishApplication(m, app);
}

export function onRequestSubmitDriver(m: MasterStep, from: Address, msg: RequestSubmitDriver): void {
  if (Object.keys(m.s.drivers).length >= m.s.config.maxDrivers) {
    m.fx.push(log("warn", "limitReached", { limit: "maxDrivers", value: m.s.config.maxDrivers }));
    m.fx.push(
      send(from, {
        type: "SubmitDriverResponse",
        masterAddress: m.s.address,
        success: false,
        message: `The master already has ${m.s.config.maxDrivers} active drivers (maxDrivers)`,
      }),
    );
    return;
  }
  const d = createDriver(m, msg.desc);
  persistDriver(m, d);
  m.s.waitingDrivers.push(d.id);
  m.s.drivers[d.id] = d;
  m.fx.push(log("info", "driverSubmitted", { driverId: d.id }));
  schedule(m);
  m.fx.push(
    send(from, {
      type: "SubmitDriverResponse",
      masterAddress: m.s.address,
      success: true,
      driverId: d.id,
      message: `Driver successfully submitted as ${d.id}`,
    }),
  );
}

export function onRequestKillDriver(m: MasterStep, from: Address, msg: RequestKillDriver): void {
  const reply = (success: boolean, message: string) =>
    m.fx.push(send(from, { type: "KillDriverResponse", masterAddress: m.s.address, driverId: msg.driverId, success, message }));
  const d = m.s.drivers[msg.driverId];
  if (!d) {
    reply(false, `Driver ${msg.driverId} has already finished or does not exist`);
    return;
  }
  if (m.s.waitingDrivers.includes(d.id)) {
    m.s.waitingDrivers = m.s.waitingDrivers.filter((id) => id !== d.id);
    reply(true, `Kill request for ${d.id} submitted`);
    // Spark self-sends DriverStateChanged(KILLED); handled right after this handler.
    removeDriver(m, d.id, "KILLED");
    return;
  }
  const w = d.workerId ? m.s.workers[d.workerId] : undefined;
  if (w) m.fx.push(send(w.address, { type: "KillDriver", driverId: d.id }));
  reply(true, `Kill request for ${d.id} submitted`);
}

export function onRequestDriverStatus(m: MasterStep, from: Address, msg: RequestDriverStatus): void {
  const active = m.s.drivers[msg.driverId];
  const done = active ? undefined : m.s.completedDrivers.find((d) => d.id === msg.driverId);
  const found = active ?? done;
  if (!found) {
    m.fx.push(send(from, { type: "DriverStatusResponse", found: false }));
    return;
  }
  const w = found.workerId ? m.s.workers[found.workerId] : undefined;
  m.fx.push(
    send(from, {
      type: "DriverStatusResponse",
      found: true,
      state: found.state,
      workerId: found.workerId,
      workerHostPort: w ? `${w.host}:${w.port}` : undefined,
      exception: found.exception,
    }),
  );
}

export function onRequestExecutors(m: MasterStep, from: Address, msg: RequestExecutors): void {
  const app = m.s.apps[msg.appId];
  if (!app) {
    m.fx.push(send(from, { type: "RequestExecutorsResponse", appId: msg.appId, acknowledged: false }));
    return;
  }
  app.executorLimit = Math.max(0, Math.floor(msg.requestedTotal));
  schedule(m);
  m.fx.push(send(from, { type: "RequestExecutorsResponse", appId: msg.appId, acknowledged: true }));
}

export function onKillExecutors(m: MasterStep, from: Address, msg: KillExecutors): void {
  const app = m.s.apps[msg.appId];
  if (!app) {
    m.fx.push(send(from, { type: "KillExecutorsResponse", appId: msg.appId, acknowledged: false }));
    return;
  }
  for (const raw of msg.executorIds) {
    const e = /^\d+$/.test(raw) ? app.executors[String(Number(raw))] : undefined;
    if (!e) {
      m.fx.push(ignored("unknown-executor-to-kill", { appId: app.id, executorId: raw }));
      continue;
    }
    appRemoveExecutor(app, e);
    killExecutor(m, e);
  }
  schedule(m);
  m.fx.push(send(from, { type: "KillExecutorsResponse", appId: msg.appId, acknowledged: true }));
}

export function onPeerDisconnected(m: MasterStep, peer: Address): void {
  const workerId = m.s.addressToWorker[peer];
  if (workerId !== undefined) removeWorker(m, m.s.workers[workerId]!, `${peer} got disassociated`);
  const appId = m.s.addressToApp[peer];
  if (appId !== undefined) finishApplication(m, m.s.apps[appId]!);
  completeRecoveryIfAnswered(m);
}

/** CheckForWorkerTimeOut: remove silent workers, and cull DEAD ones after the reaper iterations. */
export function timeOutDeadWorkers(m: MasterStep): void {
  const timeoutMs = m.s.config.workerTimeoutMs;
  for (const w of Object.values(m.s.workers)) {
    if (w.lastHeartbeatMs >= m.now - timeoutMs) continue;
    if (w.state !== "DEAD") {
      removeWorker(m, w, `Not receiving heartbeat for ${Math.floor(timeoutMs / 1000)} seconds`);
    } else if (w.lastHeartbeatMs < m.now - (m.s.config.deadWorkerPersistence + 1) * timeoutMs) {
      delete m.s.workers[w.id];
    }
  }
}

/**
 * A LAUNCHING executor that its worker has not reported on for executorLaunchTimeoutMs is given
 * up (flint; Spark waits for ever, docs/protocol.md §7 item 19): its driver is told it FAILED, the
 * worker is told to kill it (should its process start after all), and its cores are freed so that
 * scheduling can replace it. Not counted as an executor failure of the app: nothing ran. Runs with
 * CheckForWorkerTimeOut, in the master's iteration order.
 */
export function timeOutLaunchingExecutors(m: MasterStep): void {
  const timeoutMs = m.s.config.executorLaunchTimeoutMs;
  let gaveUp = false;
  for (const app of Object.values(m.s.apps)) {
    for (const e of Object.values(app.executors)) {
      if (e.state !== "LAUNCHING" || e.launchedAtMs > m.now - timeoutMs) continue;
      const message = `No report from worker ${e.workerId} within ${timeoutMs} ms of LaunchExecutor`;
      m.fx.push(log("warn", "executorLaunchTimedOut", { appId: app.id, execId: e.id, workerId: e.workerId }));
      m.fx.push(send(app.driverAddress, { type: "ExecutorUpdated", execId: e.id, state: "FAILED", message }));
      appRemoveExecutor(app, e);
      killExecutor(m, e, "FAILED");
      gaveUp = true;
    }
  }
  if (gaveUp) schedule(m);
}
