/**
 * N1 (declared log names), M1 (the master's books agree), M2 (the store follows registrations) and
 * M3 (master state transitions): each stays quiet on the real master's steps and fires on a
 * broken history fed to it (a check that cannot fail is a defect).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { address, log, send, type Effect, type Input, type Message } from "../../src/protocol/index.js";
import { IGNORE_REASONS } from "../../src/protocol/log-events.js";
import { master, type MasterState } from "../../src/protocol/master/index.js";
import { N1, undeclaredLogName } from "../../src/sim/invariants/declared-names.js";
import { checkMasterBooks, M1 } from "../../src/sim/invariants/master-bookkeeping.js";
import { checkStoreFollowsRegistrations, M2, newReservationLedger, type ReservationLedger } from "../../src/sim/invariants/master-store.js";
import { checkMasterTransitions, M3, newTransitionLedger, type TransitionLedger } from "../../src/sim/invariants/master-transitions.js";
import { newMasterLedger } from "../../src/sim/invariants/master.js";
import { addWorker, aliveMaster, driverAddr, registerWorkerMsg, T0, workerAddr } from "../protocol/master/fixtures.js";

interface Ledgers {
  reservations: ReservationLedger;
  transitions: TransitionLedger;
}
const newLedgers = (): Ledgers => ({ reservations: newReservationLedger(), transitions: newTransitionLedger() });

/** Runs M1, M2 and M3 on one master step (its state after, its input and effects); returns the checks that fired. */
function judge(s: MasterState, input: Input | null, effects: readonly Effect[], led: Ledgers): string[] {
  const fired: string[] = [];
  const report = (check: string) => void fired.push(check);
  const v = { key: "master-1#0", name: "master-1", s, input, effects, isLeader: true, ledger: newMasterLedger(), report };
  checkMasterBooks(s, report, "master-1");
  checkStoreFollowsRegistrations(v, led.reservations);
  checkMasterTransitions(v, led.transitions, true);
  return fired;
}

/** Steps the real master and judges the step. */
function stepAndJudge(s: MasterState, input: Input, led: Ledgers, now = T0): { fired: string[]; fx: Effect[] } {
  const fx = master.step(s, input, { now });
  return { fired: judge(s, input, fx, led), fx };
}

const msg = (from: string, message: Message): Input => ({ type: "message", from: address(from), message });
const heartbeat = (s: MasterState): Input => {
  const w = Object.values(s.workers)[0]!;
  return msg(w.address, { type: "Heartbeat", workerId: w.id, workerAddress: w.address });
};

/** A leader with two workers and one app holding one 2-core executor, judged once so that M3 has a snapshot. */
function cluster(): { s: MasterState; led: Ledgers } {
  const s = aliveMaster();
  const led = newLedgers();
  expect(judge(s, null, [], led)).toEqual([]);
  for (const n of [1, 2]) expect(stepAndJudge(s, msg(workerAddr(n), registerWorkerMsg(n)), led).fired).toEqual([]);
  const desc = { name: "app", memoryPerExecutorMb: 1024, command: {}, maxCores: 2, coresPerExecutor: 2 };
  expect(stepAndJudge(s, msg(driverAddr(1), { type: "RegisterApplication", appDesc: desc, driverAddress: driverAddr(1) }), led).fired).toEqual([]);
  return { s, led };
}
const firstApp = (s: MasterState) => Object.values(s.apps)[0]!;
const firstExecutor = (s: MasterState) => Object.values(firstApp(s).executors)[0]!;

describe("N1: every log effect names a declared event, level and ignore reason", () => {
  it("N1: declared names pass, an undeclared event, level or reason is named", () => {
    expect(undeclaredLogName([log("info", "workerRegistered"), { type: "log", level: "warn", event: "ignored", fields: { why: "unknown-timer" } }])).toBeNull();
    expect(undeclaredLogName([{ type: "log", level: "info", event: "" as never, fields: {} }])).toMatch(/undeclared event ""/);
    expect(undeclaredLogName([{ type: "log", level: "" as never, event: "workerRegistered", fields: {} }])).toMatch(/undeclared level/);
    expect(undeclaredLogName([{ type: "log", level: "warn", event: "ignored", fields: { why: "Stryker was here" } }])).toMatch(/undeclared reason "Stryker was here"/);
    expect(undeclaredLogName([{ type: "log", level: "warn", event: "ignored", fields: {} }])).toMatch(/undeclared reason undefined/);
    expect(N1).toBe("N1:log-names-declared");
  });

  it("N1: IGNORE_REASONS lists exactly the reasons src/protocol gives (no dead names)", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir).sort()) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (f.endsWith(".ts")) files.push(p);
      }
    };
    walk("src/protocol");
    const text = files.map((f) => readFileSync(f, "utf8")).join("\n");
    for (const why of IGNORE_REASONS) expect(text.includes(`"${why}"`), `${why} is declared but src/protocol never gives it`).toBe(true);
    expect(new Set(IGNORE_REASONS).size).toBe(IGNORE_REASONS.length);
  });
});

describe("M1: the master's books agree", () => {
  it("M1: the real master's steps keep its books", () => {
    const { s, led } = cluster();
    expect(stepAndJudge(s, heartbeat(s), led).fired).toEqual([]);
    expect(stepAndJudge(s, msg(driverAddr(2), { type: "RegisterApplication", appDesc: { name: "b", memoryPerExecutorMb: 512, command: {} }, driverAddress: driverAddr(2) }), led).fired).toEqual([]);
  });

  it("M1: granted cores that are not the sum of the app's executors fire", () => {
    const { s } = cluster();
    firstApp(s).coresGranted += 1;
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toEqual([M1]);
  });

  it("M1: an active app missing from the scheduling queue, or an index naming no app, fires", () => {
    const { s } = cluster();
    s.waitingApps = [];
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toContain(M1);
    const t = cluster().s;
    t.addressToApp[address("driver-9")] = firstApp(t).id;
    const more: string[] = [];
    checkMasterBooks(t, (c) => void more.push(c), "master-1");
    expect(more).toEqual([M1]);
  });

  it("M1: a live executor whose worker holds no slot for it, or a slot of another size, fires", () => {
    const { s } = cluster();
    const e = firstExecutor(s);
    const w = s.workers[e.workerId]!;
    const slot = w.executors[`${e.appId}/${e.id}`]!;
    slot.cores += 1;
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toEqual([M1]);
    delete w.executors[`${e.appId}/${e.id}`];
    const more: string[] = [];
    checkMasterBooks(s, (c) => void more.push(c), "master-1");
    expect(more).toEqual([M1]);
  });

  it("M1: a driver placed on a worker that does not list it, or queued while placed, fires", () => {
    const { s } = cluster();
    const w = Object.values(s.workers)[1]!;
    master.step(s, msg("client", { type: "RequestSubmitDriver", desc: { jarUrl: "x", mainClass: "M", cores: 1, memoryMb: 256, supervise: false, command: {} } } as unknown as Message), { now: T0 });
    const d = Object.values(s.drivers)[0]!;
    expect(d.workerId).toBeDefined();
    const ok: string[] = [];
    checkMasterBooks(s, (c) => void ok.push(c), "master-1");
    expect(ok).toEqual([]);
    s.waitingDrivers.push(d.id);
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toEqual([M1]);
    s.waitingDrivers.pop();
    delete s.workers[d.workerId!]!.drivers[d.id];
    void w;
    const more: string[] = [];
    checkMasterBooks(s, (c) => void more.push(c), "master-1");
    expect(more).toEqual([M1]);
  });

  it("M1: an ALIVE master with a worker or app still UNKNOWN fires", () => {
    const { s } = cluster();
    Object.values(s.workers)[1]!.state = "UNKNOWN";
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toEqual([M1]);
  });
});

describe("M2: the store follows registrations", () => {
  it("M2: the real master writes before it acknowledges, deletes what it removes, launches inside its reservation", () => {
    const s = aliveMaster();
    const led = newLedgers();
    judge(s, null, [], led);
    expect(stepAndJudge(s, msg(workerAddr(1), { type: "RegisterWorker", workerId: "w1" as never, host: "h", port: 1, workerAddress: workerAddr(1), cores: 8, memoryMb: 8192, masterAddress: s.address }), led).fired).toEqual([]);
    const { fired, fx } = stepAndJudge(s, msg(driverAddr(1), { type: "RegisterApplication", appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} }, driverAddress: driverAddr(1) }), led);
    expect(fired).toEqual([]);
    expect(fx.some((e) => e.type === "send" && e.message.type === "LaunchExecutor")).toBe(true);
    expect(stepAndJudge(s, { type: "peerDisconnected", peer: driverAddr(1) }, led).fired).toEqual([]);
  });

  it("M2: an acknowledgement before the write, a launch past the reservation, a removal that keeps the record: each fires", () => {
    const s = aliveMaster();
    const input = msg(driverAddr(1), { type: "RegisterApplication", appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} }, driverAddress: driverAddr(1) });
    addWorker(s, 1);
    const fx = master.step(s, input, { now: T0 });
    const app = firstApp(s);
    // The acknowledgement moved before every write.
    const acked = fx.filter((e) => e.type === "send" && e.message.type === "RegisteredApplication");
    const reordered = [...acked, ...fx.filter((e) => !acked.includes(e))];
    const fired: string[] = [];
    checkStoreFollowsRegistrations({ key: "m#0", name: "m", s, input, effects: reordered, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired.push(c) }, newReservationLedger());
    expect(fired).toContain(M2);
    // Without the reservation's rewrite, the launch goes past what the store reserves.
    const noWrites = fx.filter((e) => e.type !== "persist");
    const fired2: string[] = [];
    checkStoreFollowsRegistrations({ key: "m#0", name: "m", s, input, effects: noWrites, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired2.push(c) }, newReservationLedger());
    expect(fired2.filter((c) => c === M2).length).toBeGreaterThanOrEqual(2);
    // A removal without its unpersist.
    const removal = [log("info", "applicationRemoved", { appId: app.id, state: "FINISHED" })];
    const fired3: string[] = [];
    checkStoreFollowsRegistrations({ key: "m#0", name: "m", s, input: null, effects: removal, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired3.push(c) }, newReservationLedger());
    expect(fired3).toEqual([M2]);
  });

  it("M2: a record whose fields are not the entity's fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 8);
    const w = Object.values(s.workers)[0]!;
    const fired: string[] = [];
    const effects: Effect[] = [{ type: "persist", key: `worker_${w.id}`, record: { kind: "worker", worker: { id: w.id, host: w.host, port: w.port, address: w.address, cores: 9, memoryMb: w.memoryMb } } }];
    checkStoreFollowsRegistrations({ key: "m#0", name: "m", s, input: null, effects, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired.push(c) }, newReservationLedger());
    expect(fired).toEqual([M2]);
  });
});

describe("M3: master state transitions", () => {
  it("M3: the real master's steps move along allowed edges (registration, launch, executor end, app removal)", () => {
    const { s, led } = cluster();
    const e = firstExecutor(s);
    const w = s.workers[e.workerId]!;
    expect(stepAndJudge(s, msg(w.address, { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "RUNNING" }), led).fired).toEqual([]);
    expect(stepAndJudge(s, msg(w.address, { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "EXITED", exitStatus: 0 }), led).fired).toEqual([]);
    expect(stepAndJudge(s, { type: "peerDisconnected", peer: driverAddr(1) }, led).fired).toEqual([]);
    expect(stepAndJudge(s, { type: "peerDisconnected", peer: w.address }, led).fired).toEqual([]);
  });

  it("M3: ALIVE -> UNKNOWN for a worker, DEAD -> ALIVE without registering, RUNNING -> WAITING for an app: each fires", () => {
    const a = cluster();
    Object.values(a.s.workers)[1]!.state = "UNKNOWN";
    expect(judge(a.s, heartbeat(a.s), [], a.led)).toContain(M3);
    const b = cluster();
    Object.values(b.s.workers)[1]!.state = "DEAD";
    judge(b.s, null, [], newLedgers()); // (a fresh ledger: just the snapshot)
    const led = newLedgers();
    judge(b.s, null, [], led);
    Object.values(b.s.workers)[1]!.state = "ALIVE";
    expect(judge(b.s, heartbeat(b.s), [], led)).toContain(M3);
    const c = cluster();
    expect(firstApp(c.s).state).toBe("RUNNING");
    firstApp(c.s).state = "WAITING";
    expect(judge(c.s, heartbeat(c.s), [], c.led)).toContain(M3);
  });

  it("M3: an executor back from a finished state, on another worker, or gone without a word: each fires", () => {
    const a = cluster();
    const e = firstExecutor(a.s);
    e.state = "RUNNING";
    expect(judge(a.s, heartbeat(a.s), [], a.led)).toEqual([]);
    e.state = "LAUNCHING";
    expect(judge(a.s, heartbeat(a.s), [], a.led)).toContain(M3);
    const b = cluster();
    firstExecutor(b.s).workerId = Object.values(b.s.workers).find((w) => w.id !== firstExecutor(b.s).workerId)!.id;
    expect(judge(b.s, heartbeat(b.s), [], b.led)).toContain(M3);
    const c = cluster();
    const gone = firstExecutor(c.s);
    delete firstApp(c.s).executors[String(gone.id)];
    expect(judge(c.s, heartbeat(c.s), [], c.led)).toContain(M3);
  });

  it("M3: an app that leaves without applicationRemoved, or comes back after it, fires", () => {
    const a = cluster();
    const app = firstApp(a.s);
    delete a.s.apps[app.id];
    expect(judge(a.s, heartbeat(a.s), [], a.led)).toContain(M3);
    a.s.apps[app.id] = app;
    expect(judge(a.s, msg(driverAddr(1), { type: "RegisterApplication", appDesc: app.desc, driverAddress: driverAddr(1) }), [send(driverAddr(1), { type: "RegisteredApplication", appId: app.id, masterAddress: a.s.address })], a.led)).toContain(M3);
  });
});
