/**
 * Every safety check fires on a state or effect that breaks its invariant (a check that cannot
 * fail is a defect), stays quiet on the sound version, and a violation stops a run naming the
 * invariant, the step and the nodes.
 */
import { describe, expect, it } from "vitest";
import { address, send, type Effect, type Input, type Message, type TaskDescription } from "../../src/protocol/index.js";
import type { DriverRoleState } from "../../src/protocol/driver/state.js";
import type { MasterState } from "../../src/protocol/master/state.js";
import { checkDriverStep, newDriverLedger, type DriverLedger } from "../../src/sim/invariants/driver.js";
import { checkMasterStep, newMasterLedger, scanMaster, type MasterLedger } from "../../src/sim/invariants/master.js";
import { checkLiveness, judgeLiveness, livenessApplies, LIVENESS_BOUND_MS } from "../../src/sim/invariants/liveness.js";
import type { Violation } from "../../src/sim/invariants/report.js";
import { ClusterRun } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { addApp, addWorker, aliveMaster, driverAddr, workerAddr } from "../protocol/master/fixtures.js";
import { addExecutor, registeredDriver, submit, taskSet } from "../protocol/driver/fixtures.js";

type Reported = Omit<Violation, "timeMs" | "step" | "node"> & { weakness?: string };

function collector(): { list: Reported[]; report: (check: string, detail: string, nodes?: string[], weakness?: string) => void } {
  const list: Reported[] = [];
  return { list, report: (check, detail, nodes = [], weakness) => list.push({ check, detail, nodes, ...(weakness ? { weakness } : {}) }) };
}

const msg = (from: string, message: Message): Input => ({ type: "message", from: address(from), message });

/** A leader with two 8-core workers and one app (maxCores 4) holding one 2-core executor on worker 1. */
function masterWithExecutor(): MasterState {
  const s = aliveMaster();
  addWorker(s, 1);
  addWorker(s, 2);
  addApp(s, 1, { maxCores: 4, coresPerExecutor: 2 });
  return s;
}

function masterStep(
  s: MasterState,
  effects: Effect[],
  opts: { input?: Input | null; isLeader?: boolean; ledger?: MasterLedger; key?: string } = {},
): Reported[] {
  const c = collector();
  checkMasterStep({
    key: opts.key ?? "master-1#0",
    name: "master-1",
    s,
    input: opts.input ?? null,
    effects,
    isLeader: opts.isLeader ?? true,
    ledger: opts.ledger ?? newMasterLedger(),
    report: c.report,
  });
  return c.list;
}

const firstApp = (s: MasterState) => Object.values(s.apps)[0]!;
const firstWorker = (s: MasterState) => Object.values(s.workers)[0]!;
const launch = (s: MasterState, execId: number, to = workerAddr(1)): Effect =>
  send(to, {
    type: "LaunchExecutor",
    masterUrl: s.address,
    appId: firstApp(s).id,
    execId: execId as never,
    appDesc: firstApp(s).desc,
    driverAddress: driverAddr(1),
    cores: 2,
    memoryMb: 1024,
  });
const checks = (list: Reported[]) => list.filter((r) => r.weakness === undefined).map((r) => r.check);

describe("invariants: master", () => {
  it("invariants: a sound leader step reports nothing", () => {
    const s = masterWithExecutor();
    const exec = Object.values(firstApp(s).executors)[0]!;
    expect(masterStep(s, [launch(s, exec.id)])).toEqual([]);
    expect(collector().list).toEqual([]);
  });

  it("invariants: I1 fires when a worker's used cores exceed its cores or go negative", () => {
    const s = masterWithExecutor();
    const w = firstWorker(s);
    w.coresUsed = w.cores + 1;
    expect(checks(masterStep(s, [], { input: msg(w.address, { type: "Heartbeat", workerId: w.id, workerAddress: w.address }) }))).toContain(
      "I1:worker-not-overcommitted",
    );
    w.coresUsed = -1;
    expect(checks(masterStep(s, [], { input: msg(w.address, { type: "Heartbeat", workerId: w.id, workerAddress: w.address }) }))).toContain(
      "I1:worker-not-overcommitted",
    );
  });

  it("invariants: I1 over-commit while adopting a worker's report is a failure, not a weakness (flint adopts only what fits)", () => {
    const s = masterWithExecutor();
    const w = firstWorker(s);
    w.coresUsed = w.cores + 2;
    const list = masterStep(s, [], {
      input: msg(w.address, { type: "WorkerSchedulerStateResponse", workerId: w.id, executors: [], driverIds: [] }),
    });
    expect(list.map((r) => [r.check, r.weakness])).toContainEqual(["I1:worker-not-overcommitted", undefined]);
  });

  it("invariants: I2 over the app's limit while adopting a worker's report is a failure, not a weakness", () => {
    const s = masterWithExecutor();
    const w = firstWorker(s);
    const app = firstApp(s);
    app.coresGranted = 6;
    const list = masterStep(s, [], {
      input: msg(w.address, {
        type: "WorkerSchedulerStateResponse",
        workerId: w.id,
        executors: [{ appId: app.id, execId: 0 as never, cores: 1, memoryMb: 1, state: "RUNNING" }],
        driverIds: [],
      }),
    });
    expect(list.map((r) => [r.check, r.weakness])).toContainEqual(["I2:app-cores-within-limit", undefined]);
  });

  it("invariants: I2 fires when an app is granted more cores than its maxCores", () => {
    const s = masterWithExecutor();
    firstApp(s).coresGranted = 6;
    expect(checks(masterStep(s, [launch(s, 7)]))).toContain("I2:app-cores-within-limit");
  });

  it("invariants: I3 fires when an executor is created beyond the app's executor limit", () => {
    const s = masterWithExecutor();
    firstApp(s).executorLimit = 0;
    expect(checks(masterStep(s, [launch(s, 7)]))).toContain("I3:executor-limit");
  });

  it("invariants: I4 fires when a master launches an executor id twice, and when a later leader reuses it (a failure: ids are reserved in the store)", () => {
    const s = masterWithExecutor();
    const ledger = newMasterLedger();
    expect(masterStep(s, [launch(s, 5)], { ledger })).toEqual([]);
    expect(checks(masterStep(s, [launch(s, 5)], { ledger }))).toContain("I4:executor-id-never-reused");
    const other = masterStep(s, [launch(s, 5)], { ledger, key: "master-2#0" });
    const reuse = other.find((r) => r.check.startsWith("I4"));
    expect(reuse).toBeDefined();
    expect(reuse!.weakness).toBeUndefined();
    // Only with EXECUTOR-ID-REUSE on are what follows from the reuse on other checks labelled with it.
    expect(ledger.reusedExecutors.size).toBe(0);
    s.config.bugs = ["EXECUTOR-ID-REUSE"];
    masterStep(s, [launch(s, 5)], { ledger, key: "master-3#0" });
    expect([...ledger.reusedExecutors]).toEqual([`${firstApp(s).id}/5`]);
  });

  it("invariants: I4 reuse between two masters of which one launched without the leadership is the §3.5.1 weakness (no fencing), either order", () => {
    const s = masterWithExecutor();
    const ledger = newMasterLedger();
    masterStep(s, [launch(s, 5)], { ledger, key: "master-1#0" });
    const stale = masterStep(s, [launch(s, 5)], { ledger, key: "master-2#0", isLeader: false });
    expect(stale.find((r) => r.check.startsWith("I4"))?.weakness).toMatch(/§3.5.1/);
    const ledger2 = newMasterLedger();
    masterStep(s, [launch(s, 6)], { ledger: ledger2, key: "master-2#0", isLeader: false });
    const leader = masterStep(s, [launch(s, 6)], { ledger: ledger2, key: "master-1#1" });
    expect(leader.find((r) => r.check.startsWith("I4"))?.weakness).toMatch(/§3.5.1/);
    // The same master twice is a bug, leader or not.
    const ledger3 = newMasterLedger();
    masterStep(s, [launch(s, 7)], { ledger: ledger3, key: "master-2#0", isLeader: false });
    const again = masterStep(s, [launch(s, 7)], { ledger: ledger3, key: "master-2#0", isLeader: false });
    expect(again.find((r) => r.check.startsWith("I4"))?.weakness).toBeUndefined();
  });

  it("invariants: I5 fires on RUNNING after a finished state and on anything after a finished state", () => {
    const s = masterWithExecutor();
    const ledger = newMasterLedger();
    const upd = (state: "RUNNING" | "EXITED"): Effect => send(driverAddr(1), { type: "ExecutorUpdated", execId: 9 as never, state });
    expect(
      masterStep(
        s,
        [
          send(driverAddr(1), {
            type: "ExecutorAdded",
            execId: 9 as never,
            workerId: firstWorker(s).id,
            hostPort: "h:1",
            cores: 2,
            memoryMb: 1,
          }),
          upd("RUNNING"),
          upd("EXITED"),
        ],
        { ledger },
      ),
    ).toEqual([]);
    expect(checks(masterStep(s, [upd("RUNNING")], { ledger }))).toContain("I5:executor-state-order");
  });

  it("invariants: I6 fires when a worker holds an executor its app does not list, or miscounts its used cores", () => {
    const s = masterWithExecutor();
    const w = firstWorker(s);
    w.executors["ghost/99"] = { appId: firstApp(s).id, execId: 99 as never, cores: 1, memoryMb: 1 };
    expect(checks(masterStep(s, [], { input: msg(w.address, { type: "Heartbeat", workerId: w.id, workerAddress: w.address }) }))).toContain(
      "I6:executor-recorded-on-worker-and-app",
    );
  });

  it("invariants: I7 fires on a launch outside ALIVE and on a registration in STANDBY; a launch by an ALIVE master without leadership is §3.5.1", () => {
    const s = masterWithExecutor();
    s.recoveryState = "RECOVERING";
    expect(checks(masterStep(s, [launch(s, 7)]))).toContain("I7:only-leader-schedules");
    s.recoveryState = "STANDBY";
    expect(
      checks(
        masterStep(s, [
          send(workerAddr(1), { type: "RegisteredWorker", masterAddress: s.address, configuredMasterAddress: s.address, duplicate: false }),
        ]),
      ),
    ).toContain("I7:only-leader-registers");
    s.recoveryState = "ALIVE";
    const split = masterStep(s, [launch(s, 8)], { isLeader: false });
    expect(split.find((r) => r.check === "I7:only-leader-schedules")?.weakness).toMatch(/§3.5.1/);
  });

  it("invariants: I8 fires when two live workers share an address", () => {
    const s = masterWithExecutor();
    const [w1, w2] = Object.values(s.workers);
    w2!.address = w1!.address;
    expect(
      checks(
        masterStep(s, [
          send(w1!.address, { type: "RegisteredWorker", masterAddress: s.address, configuredMasterAddress: s.address, duplicate: false }),
        ]),
      ),
    ).toContain("I8:worker-registered-once");
  });

  it("invariants: I8's whole-state scan finds two live workers sharing an address that no step acknowledged", () => {
    const s = masterWithExecutor();
    const [w1, w2] = Object.values(s.workers);
    w2!.address = w1!.address;
    expect(checks(masterStep(s, [])).filter((c) => c.startsWith("I8"))).toEqual([]); // a step with no registration looks at no address
    const c = collector();
    scanMaster(s, c.report, "master-1");
    expect(checks(c.list)).toContain("I8:worker-registered-once");
  });

  it("invariants: I8 on a registration step sees a worker added after its address index was built", () => {
    const s = masterWithExecutor();
    const [w1, w2] = Object.values(s.workers);
    const ack = (to: MasterState["address"]): Effect =>
      send(to, { type: "RegisteredWorker", masterAddress: s.address, configuredMasterAddress: s.address, duplicate: false });
    expect(checks(masterStep(s, [ack(w1!.address)])).filter((c) => c.startsWith("I8"))).toEqual([]); // builds the index
    // A second live record at worker 1's address, under a new id, as a buggy registration would leave it.
    const dup = { ...w2!, id: "worker-dup" as never, address: w1!.address };
    s.workers[dup.id] = dup;
    const input = msg(w1!.address, {
      type: "RegisterWorker",
      workerId: dup.id,
      host: dup.host,
      port: dup.port,
      workerAddress: w1!.address,
      cores: dup.cores,
      memoryMb: dup.memoryMb,
      masterAddress: s.address,
    });
    expect(checks(masterStep(s, [ack(w1!.address)], { input }))).toContain("I8:worker-registered-once");
  });

  it("invariants: I8's whole-state scan finds a record moved onto a live worker's address after the index was built, and refreshes the index", () => {
    const s = masterWithExecutor();
    const [w1, w2] = Object.values(s.workers);
    const ack = send(w1!.address, {
      type: "RegisteredWorker",
      masterAddress: s.address,
      configuredMasterAddress: s.address,
      duplicate: false,
    });
    expect(checks(masterStep(s, [ack])).filter((c) => c.startsWith("I8"))).toEqual([]); // builds the index
    w2!.address = w1!.address;
    const c = collector();
    scanMaster(s, c.report, "master-1");
    expect(checks(c.list)).toContain("I8:worker-registered-once");
    // The scan re-indexed worker 2 under its new address: the next registration step there sees it too.
    expect(checks(masterStep(s, [ack]))).toContain("I8:worker-registered-once");
  });

  it("invariants: I9 fires when a master acknowledges an app id it does not track for that driver (the ghost app)", () => {
    const s = masterWithExecutor();
    expect(
      checks(
        masterStep(s, [send(driverAddr(1), { type: "RegisteredApplication", appId: "app-ghost" as never, masterAddress: s.address })]),
      ),
    ).toContain("I9:app-registered-once-per-driver");
    expect(
      masterStep(s, [send(driverAddr(1), { type: "RegisteredApplication", appId: firstApp(s).id, masterAddress: s.address })]),
    ).toEqual([]);
  });

  it("invariants: I10 fires when a master is left in COMPLETING_RECOVERY or goes from ALIVE back to recovery", () => {
    const s = masterWithExecutor();
    const ledger = newMasterLedger();
    expect(masterStep(s, [], { ledger })).toEqual([]);
    s.recoveryState = "RECOVERING";
    expect(checks(masterStep(s, [], { ledger }))).toContain("I10:recovery-completes-once");
    s.recoveryState = "COMPLETING_RECOVERY";
    expect(checks(masterStep(s, [], { ledger }))).toContain("I10:recovery-completes-once");
  });

  it("invariants: I11 fires when a master acknowledges a worker it holds as UNKNOWN", () => {
    const s = masterWithExecutor();
    firstWorker(s).state = "UNKNOWN";
    expect(
      checks(
        masterStep(s, [
          send(firstWorker(s).address, {
            type: "RegisteredWorker",
            masterAddress: s.address,
            configuredMasterAddress: s.address,
            duplicate: true,
          }),
        ]),
      ),
    ).toContain("I11:acknowledged-worker-alive");
  });

  it("invariants: I12 fires when a driver id is launched twice", () => {
    const s = masterWithExecutor();
    const ledger = newMasterLedger();
    const ld: Effect = send(workerAddr(2), {
      type: "LaunchDriver",
      driverId: "driver-1" as never,
      desc: { cores: 1, memoryMb: 1, supervise: true, command: {} },
    });
    expect(masterStep(s, [ld], { ledger })).toEqual([]);
    expect(checks(masterStep(s, [ld], { ledger }))).toContain("I12:relaunched-driver-fresh-id");
  });

  it("invariants: the whole-master scan finds an over-committed worker no step named", () => {
    const s = masterWithExecutor();
    Object.values(s.workers)[1]!.memoryUsed = 1e9;
    const c = collector();
    scanMaster(s, c.report, "master-1");
    expect(checks(c.list)).toContain("I1:worker-not-overcommitted");
  });
});

/** A registered driver with two 2-core launched executors and a running 4-task job. */
function busyDriver(): { s: DriverRoleState; launches: Array<{ to: string; task: TaskDescription }> } {
  const s = registeredDriver();
  addExecutor(s, 1, 2);
  addExecutor(s, 2, 2);
  const fx = submit(s, "job-1", taskSet(4));
  const launches = fx.flatMap((e) => (e.type === "send" && e.message.type === "LaunchTask" ? [{ to: e.to, task: e.message.task }] : []));
  return { s, launches };
}

function driverStep(
  s: DriverRoleState,
  effects: Effect[],
  input: Input | null = null,
  ledger: DriverLedger = newDriverLedger(),
): Reported[] {
  const c = collector();
  checkDriverStep({ name: "drv", s, input, effects, ledger, report: c.report });
  return c.list;
}

const launchFx = (l: { to: string; task: TaskDescription }): Effect => send(address(l.to), { type: "LaunchTask", task: l.task });
const status = (l: { to: string; task: TaskDescription }, state: "FINISHED" | "RUNNING"): Input =>
  msg(l.to, {
    type: "StatusUpdate",
    executorId: l.task.executorId,
    taskId: l.task.taskId,
    state,
    data: state === "FINISHED" ? { kind: "result", value: 1, sizeBytes: 1 } : { kind: "none" },
    taskCpus: 1,
  });

describe("invariants: driver", () => {
  it("invariants: a sound launch round reports nothing", () => {
    const { s, launches } = busyDriver();
    expect(launches.length).toBeGreaterThan(0);
    expect(driverStep(s, launches.map(launchFx))).toEqual([]);
  });

  it("invariants: I19 fires when a TID is launched twice", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    driverStep(s, [launchFx(launches[0]!)], null, ledger);
    expect(checks(driverStep(s, [launchFx(launches[0]!)], null, ledger))).toContain("I19:task-attempt-on-one-executor");
  });

  it("invariants: I20 fires when an index has two running attempts", () => {
    const { s, launches } = busyDriver();
    const l = launches[0]!;
    const tsm = s.scheduler.taskSets[l.task.taskSetId]!;
    const other = launches[1]!.task.taskId;
    // The other launch becomes a second, newer attempt of the same index, both still running.
    expect(other).toBeGreaterThan(l.task.taskId);
    tsm.attempts.index[other - tsm.attempts.base] = l.task.index;
    tsm.attempts.previous[other - tsm.attempts.base] = l.task.taskId;
    tsm.lastAttempt[l.task.index] = other;
    expect(checks(driverStep(s, [launchFx(l)]))).toContain("I20:one-running-attempt-per-index");
  });

  it("invariants: I20 allows one speculative copy while speculation is on, never a third attempt", () => {
    const { s, launches } = busyDriver();
    s.protocol = { ...s.protocol, speculation: true };
    const [a, b, c] = launches;
    const tsm = s.scheduler.taskSets[a!.task.taskSetId]!;
    const t = tsm.attempts;
    // b becomes a second running attempt of a's index: allowed (D10 judges the copy).
    t.index[b!.task.taskId - t.base] = a!.task.index;
    t.previous[b!.task.taskId - t.base] = a!.task.taskId;
    tsm.lastAttempt[a!.task.index] = b!.task.taskId;
    expect(checks(driverStep(s, [launchFx(b!)]))).not.toContain("I20:one-running-attempt-per-index");
    // c a third one: caught.
    expect(c!.task.taskId).toBeGreaterThan(b!.task.taskId);
    t.index[c!.task.taskId - t.base] = a!.task.index;
    t.previous[c!.task.taskId - t.base] = b!.task.taskId;
    tsm.lastAttempt[a!.task.index] = c!.task.taskId;
    expect(checks(driverStep(s, [launchFx(c!)]))).toContain("I20:one-running-attempt-per-index");
  });

  it("invariants: I21 fires when a result is counted for an index already successful", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    const l = launches[0]!;
    driverStep(s, [launchFx(l)], null, ledger);
    const tsm = s.scheduler.taskSets[l.task.taskSetId]!;
    tsm.successful[l.task.index] = true;
    tsm.tasksSuccessful = 1;
    expect(driverStep(s, [], status(l, "FINISHED"), ledger)).toEqual([]);
    tsm.tasksSuccessful = 2;
    expect(checks(driverStep(s, [], status(l, "FINISHED"), ledger))).toContain("I21:one-success-per-index");
  });

  it("invariants: I21 fires when a job is reported ended twice", () => {
    const { s } = busyDriver();
    const ledger = newDriverLedger();
    const end: Effect = { type: "notify", notification: { kind: "jobSucceeded", jobId: "job-1" as never, results: [] } };
    expect(driverStep(s, [end], null, ledger)).toEqual([]);
    expect(checks(driverStep(s, [end], null, ledger))).toContain("I21:one-success-per-index");
  });

  it("invariants: I22 fires when an executor's free cores leave [0, total]", () => {
    const { s, launches } = busyDriver();
    const l = launches[0]!;
    s.backend.executors[l.task.executorId]!.freeCores = -1;
    expect(checks(driverStep(s, [launchFx(l)]))).toContain("I22:free-cores-in-bounds");
    s.backend.executors[l.task.executorId]!.freeCores = 3;
    expect(checks(driverStep(s, [], status(l, "RUNNING")))).toContain("I22:free-cores-in-bounds");
  });

  it("invariants: I23 fires when a stage has two active task sets", () => {
    const { s } = busyDriver();
    const id = s.scheduler.pool[0]!;
    s.scheduler.taskSets["copy"] = { ...s.scheduler.taskSets[id]!, taskSetId: "copy" };
    s.scheduler.pool.push("copy");
    expect(checks(driverStep(s, []))).toContain("I23:one-active-task-set-per-stage");
  });

  it("invariants: I25 fires when a lost executor still has running tasks", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    driverStep(s, launches.map(launchFx), null, ledger);
    const gone = launches[0]!.task.executorId;
    delete s.backend.executors[gone];
    s.backend.totalRegisteredExecutors -= 1;
    expect(checks(driverStep(s, [], null, ledger))).toContain("I25:lost-executor-tasks-requeued");
  });

  it("invariants: I26 fires when a duplicate finished status update frees cores", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    const l = launches[0]!;
    driverStep(s, [launchFx(l)], null, ledger);
    driverStep(s, [], status(l, "FINISHED"), ledger);
    s.backend.executors[l.task.executorId]!.freeCores -= 1; // pretend the executor got busy again...
    driverStep(s, [], msg("x", { type: "LaunchedExecutor", executorId: l.task.executorId }), ledger);
    s.backend.executors[l.task.executorId]!.freeCores += 1; // ...and the duplicate update gave a core back
    expect(checks(driverStep(s, [], status(l, "FINISHED"), ledger))).toContain("I26:stale-status-update-changes-nothing");
  });

  it("invariants: I26 judges a TID by this incarnation's launches: an earlier incarnation's late update does not make its own later launch of that TID stale", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    const l = launches[0]!;
    // An executor of the driver's earlier incarnation reports the same TID before this one launched it.
    expect(checks(driverStep(s, [], status(l, "FINISHED"), ledger))).toEqual([]);
    driverStep(s, [launchFx(l)], null, ledger);
    s.backend.executors[l.task.executorId]!.freeCores -= 1;
    driverStep(s, [], msg("x", { type: "LaunchedExecutor", executorId: l.task.executorId }), ledger);
    // Its own final update gives the core back: not stale.
    s.backend.executors[l.task.executorId]!.freeCores += 1;
    expect(checks(driverStep(s, [], status(l, "FINISHED"), ledger))).toEqual([]);
    // A final update in another executor's name for a launched TID is stale, and must change nothing.
    const other = { ...l, task: { ...l.task, executorId: launches.find((x) => x.task.executorId !== l.task.executorId)!.task.executorId } };
    const before = s.backend.executors[other.task.executorId]!.freeCores;
    driverStep(s, [], msg("x", { type: "LaunchedExecutor", executorId: other.task.executorId }), ledger);
    s.backend.executors[other.task.executorId]!.freeCores = before + 1;
    expect(checks(driverStep(s, [], status(other, "FINISHED"), ledger))).toContain("I26:stale-status-update-changes-nothing");
  });

  it("invariants: I27 fires when a task goes to an unknown, killed or not yet launched executor", () => {
    const { s, launches } = busyDriver();
    const l = launches[0]!;
    s.backend.executorsPendingToRemove[l.task.executorId] = true;
    expect(checks(driverStep(s, [launchFx(l)]))).toContain("I27:no-task-to-dead-executor");
    delete s.backend.executorsPendingToRemove[l.task.executorId];
    s.backend.executors[l.task.executorId]!.launched = false;
    expect(checks(driverStep(s, [launchFx(l)]))).toContain("I27:no-task-to-dead-executor");
    delete s.backend.executors[l.task.executorId];
    expect(checks(driverStep(s, [launchFx(l)]))).toContain("I27:no-task-to-dead-executor");
  });

  it("invariants: I27 (lost half) fires when a task goes to an executor a heartbeat timeout declared lost, until it registers again", () => {
    const { s, launches } = busyDriver();
    const ledger = newDriverLedger();
    const l = launches[0]!;
    const to = (taskId: number) => launchFx({ to: l.to, task: { ...l.task, taskId } });
    const timedOut: Effect = {
      type: "log",
      level: "warn",
      event: "executorHeartbeatTimedOut",
      fields: { executorId: l.task.executorId, silentMs: 120_001, timeoutMs: 120_000 },
    };
    expect(checks(driverStep(s, [to(90)], null, ledger))).toEqual([]);
    // Still registered, launched and not being killed: only the timeout's record tells, from that effect on.
    expect(checks(driverStep(s, [timedOut, to(91)], null, ledger))).toEqual(["I27:no-task-to-lost-executor"]);
    expect(checks(driverStep(s, [to(92)], null, ledger))).toEqual(["I27:no-task-to-lost-executor"]);
    // A refused registration changes nothing; an accepted one under that id is a new executor, which may take tasks.
    const exec = s.backend.executors[l.task.executorId]!;
    const register = msg(l.to, {
      type: "RegisterExecutor",
      executorId: l.task.executorId,
      executorAddress: exec.address,
      hostname: exec.host,
      cores: exec.totalCores,
    });
    driverStep(s, [send(exec.address, { type: "RegisterExecutorFailed", message: "Duplicate executor ID" })], register, ledger);
    expect(checks(driverStep(s, [to(93)], null, ledger))).toEqual(["I27:no-task-to-lost-executor"]);
    driverStep(s, [send(exec.address, { type: "RegisteredExecutor" })], register, ledger);
    expect(checks(driverStep(s, [to(94)], null, ledger))).toEqual([]);
  });
});

const tiny = (extra: Record<string, unknown> = {}) =>
  parseScenario({
    name: "tiny",
    comment: "two workers, one app, one job: for the checks' integration tests",
    timeLimitMs: 400_000,
    cluster: { masters: 1, workers: [{ count: 2, cores: 2, memoryMb: 4096 }] },
    apps: [
      {
        name: "pi",
        submitAtMs: 1000,
        maxCores: 2,
        coresPerExecutor: 2,
        jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 1000 }] }],
      },
    ],
    ...extra,
  });

describe("invariants: in a run", () => {
  it("invariants: a violation stops the run and names the invariant, the step and the nodes", () => {
    const run = new ClusterRun(
      tiny({
        config: { bugs: ["GHOST-APP"] },
        faults: [{ atMs: 0, kind: "messages", messageType: "RegisteredApplication", delayMs: 25_000, durationMs: 5_000 }],
      }),
      ROLES,
    );
    const result = run.run();
    expect(result.verdict.ok).toBe(false);
    const v = result.violations[0]!;
    expect(v).toMatchObject({ check: "I9:app-registered-once-per-driver", node: "master-1", nodes: ["master-1", "drv-pi"] });
    expect(v.step).toBeGreaterThan(0);
    expect(result.stopReason).toBe("stopped");
    expect(result.virtualTimeMs).toBeLessThan(30_000);
  });

  it("invariants: L1 names the stalled job, its pending tasks and executors once faults healed", () => {
    const scenario = tiny({ config: { bugs: ["SPARK-36509"] }, faults: [{ atMs: 10_000, kind: "crash", target: "worker-2" }] });
    // With the safety checks on, M4 stops this run the moment the master leaves the app short of
    // the live worker's cores (SPARK-36509 skips schedule() after a worker's removal): a safety
    // violation, found long before the stall is judged.
    const checked = new ClusterRun(scenario, ROLES);
    const verdict = checked.run();
    expect(verdict.violations[0]?.check).toBe("M4:schedule-leaves-nothing-usable");
    // L1's own report of the stall, on the same run without the per-step safety checks.
    const run = new ClusterRun(scenario, ROLES, { safetyChecks: false });
    run.run();
    const stall = checkLiveness({ scenario, nodes: run.world.nodes, nowMs: run.world.now, jobs: run.jobs });
    expect(run.world.now).toBeGreaterThanOrEqual(10_000 + LIVENESS_BOUND_MS);
    expect(stall).toMatchObject({ check: "L1:jobs-finish-after-healing", node: "drv-pi" });
    expect(stall!.detail).toMatch(/job pi-1 .* tasks not done.* executors/);
  });

  it("invariants: L1 is judged under partitions and drops on the TCP network; only the explicitly lossy network skips it for silent loss of exactly-once messages", () => {
    const partition = { atMs: 1, kind: "partition", hosts: ["worker-1"], durationMs: 10 };
    const dropStatus = { atMs: 1, kind: "messages", messageType: "StatusUpdate", dropProbability: 0.5, durationMs: 10 };
    expect(livenessApplies(tiny({ faults: [partition] }))).toBe(true);
    expect(livenessApplies(tiny({ faults: [dropStatus] }))).toBe(true);
    const lossy = { network: { lossy: true } };
    expect(livenessApplies(tiny({ ...lossy, faults: [partition] }))).toBe(false);
    expect(livenessApplies(tiny({ ...lossy, faults: [dropStatus] }))).toBe(false);
    expect(
      livenessApplies(
        tiny({ ...lossy, faults: [{ atMs: 1, kind: "messages", messageType: "Heartbeat", dropProbability: 0.5, durationMs: 10 }] }),
      ),
    ).toBe(true);
    expect(
      livenessApplies(tiny({ ...lossy, faults: [{ atMs: 1, kind: "messages", messageType: "StatusUpdate", delayMs: 5, durationMs: 10 }] })),
    ).toBe(true);
    const verdict = judgeLiveness({
      scenario: tiny({ ...lossy, faults: [partition] }),
      nodes: [],
      nowMs: 1_000_000,
      jobs: { "pi-1": { app: "pi", state: "unfinished" } },
    });
    expect(verdict).toEqual({ stall: null, unjudged: "lossy-network" });
  });

  it("invariants: L1 judges a stall when the leader has no live worker while worker processes are up (a worker stuck on an old master), and never excuses it", () => {
    const scenario = tiny({
      stopWhenDone: false,
      apps: [
        {
          name: "pi",
          submitAtMs: 1000,
          coresPerExecutor: 2,
          jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 40, durationMs: 1000 }] }],
        },
      ],
    });
    const run = new ClusterRun(scenario, ROLES, { untilMs: 3_000 });
    run.run();
    expect(run.jobs["pi-1"]!.state).toBe("unfinished");
    const nowMs = LIVENESS_BOUND_MS + 1;
    // The broken history: the leader lost every worker, and the worker processes are up.
    const m = run.world.byName.get("master-1")!.state as MasterState;
    for (const id of Object.keys(m.workers)) m.workers[id]!.state = "DEAD";
    const stalled = judgeLiveness({ scenario, nodes: run.world.nodes, nowMs, jobs: run.jobs });
    expect(stalled.stall).toMatchObject({ check: "L1:jobs-finish-after-healing", node: "drv-pi" });
    expect(stalled.stall!.weakness).toBeUndefined();
    expect(stalled.stall!.detail).toMatch(/0 ALIVE workers at the leader \(2 worker processes up\)/);
    // With no worker process left that could hold an executor, the run is not judged, and says why.
    for (const n of run.world.nodes.filter((x) => x.kind === "worker")) run.world.crash(n);
    expect(judgeLiveness({ scenario, nodes: run.world.nodes, nowMs, jobs: run.jobs })).toEqual({ stall: null, unjudged: "no-capacity" });
  });
});
