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
import { emptyText, N1, undeclaredLogName } from "../../src/sim/invariants/declared-names.js";
import { checkScheduleOutcome, M4 } from "../../src/sim/invariants/master-schedule.js";
import { checkMasterTimeouts, M5, newDeadWorkerLedger, type DeadWorkerLedger } from "../../src/sim/invariants/master-timeouts.js";
import { checkAppRemovedAtMaxRetries, M6 } from "../../src/sim/invariants/master-retries.js";
import { checkMasterStep } from "../../src/sim/invariants/master.js";
import { checkMasterBooks, M1 } from "../../src/sim/invariants/master-bookkeeping.js";
import { checkStoreFollowsRegistrations, M2, newReservationLedger, type ReservationLedger } from "../../src/sim/invariants/master-store.js";
import { checkMasterTransitions, M3, newTransitionLedger, type TransitionLedger } from "../../src/sim/invariants/master-transitions.js";
import { newMasterLedger } from "../../src/sim/invariants/master.js";
import { addWorker, aliveMaster, driverAddr, newMaster, registerWorkerMsg, T0, wid, workerAddr } from "../protocol/master/fixtures.js";
import { masterStepView } from "./helpers.js";

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
  expect(
    stepAndJudge(s, msg(driverAddr(1), { type: "RegisterApplication", appDesc: desc, driverAddress: driverAddr(1) }), led).fired,
  ).toEqual([]);
  return { s, led };
}
const firstApp = (s: MasterState) => Object.values(s.apps)[0]!;
const firstExecutor = (s: MasterState) => Object.values(firstApp(s).executors)[0]!;

describe("N1: every log effect names a declared event, level and ignore reason", () => {
  it("N1: declared names pass, an undeclared event, level or reason is named", () => {
    expect(
      undeclaredLogName([
        log("info", "workerRegistered"),
        { type: "log", level: "warn", event: "ignored", fields: { why: "unknown-timer" } },
      ]),
    ).toBeNull();
    expect(undeclaredLogName([{ type: "log", level: "info", event: "" as never, fields: {} }])).toMatch(/undeclared event ""/);
    expect(undeclaredLogName([{ type: "log", level: "" as never, event: "workerRegistered", fields: {} }])).toMatch(/undeclared level/);
    expect(undeclaredLogName([{ type: "log", level: "warn", event: "ignored", fields: { why: "Stryker was here" } }])).toMatch(
      /undeclared reason "Stryker was here"/,
    );
    expect(undeclaredLogName([{ type: "log", level: "warn", event: "ignored", fields: {} }])).toMatch(/undeclared reason undefined/);
    expect(undeclaredLogName([send(driverAddr(1), { type: "" } as never)])).toMatch(/undeclared type ""/);
    expect(N1).toBe("N1:log-names-declared");
  });

  it("N2: an empty address, message field or log field is named; the real master's effects have none", () => {
    const { s } = cluster();
    expect(emptyText(master.step(s, heartbeat(s), { now: T0 }))).toBeNull();
    expect(emptyText([send(address(""), { type: "MasterInStandby" })])).toMatch(/empty address/);
    expect(emptyText([send(driverAddr(1), { type: "ApplicationRemoved", message: "" })])).toMatch(/empty message/);
    expect(emptyText([log("info", "workerRemoved", { workerId: "w", message: "" })])).toMatch(/empty message/);
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
    expect(
      stepAndJudge(
        s,
        msg(driverAddr(2), {
          type: "RegisterApplication",
          appDesc: { name: "b", memoryPerExecutorMb: 512, command: {} },
          driverAddress: driverAddr(2),
        }),
        led,
      ).fired,
    ).toEqual([]);
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
    master.step(
      s,
      msg("client", {
        type: "RequestSubmitDriver",
        desc: { jarUrl: "x", mainClass: "M", cores: 1, memoryMb: 256, supervise: false, command: {} },
      } as unknown as Message),
      { now: T0 },
    );
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
    expect(
      stepAndJudge(
        s,
        msg(workerAddr(1), {
          type: "RegisterWorker",
          workerId: "w1" as never,
          host: "h",
          port: 1,
          workerAddress: workerAddr(1),
          cores: 8,
          memoryMb: 8192,
          masterAddress: s.address,
        }),
        led,
      ).fired,
    ).toEqual([]);
    const { fired, fx } = stepAndJudge(
      s,
      msg(driverAddr(1), {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} },
        driverAddress: driverAddr(1),
      }),
      led,
    );
    expect(fired).toEqual([]);
    expect(fx.some((e) => e.type === "send" && e.message.type === "LaunchExecutor")).toBe(true);
    expect(stepAndJudge(s, { type: "peerDisconnected", peer: driverAddr(1) }, led).fired).toEqual([]);
  });

  it("M2: an acknowledgement before the write, a launch past the reservation, a removal that keeps the record: each fires", () => {
    const s = aliveMaster();
    const input = msg(driverAddr(1), {
      type: "RegisterApplication",
      appDesc: { name: "a", memoryPerExecutorMb: 512, command: {} },
      driverAddress: driverAddr(1),
    });
    addWorker(s, 1);
    const fx = master.step(s, input, { now: T0 });
    const app = firstApp(s);
    // The acknowledgement moved before every write.
    const acked = fx.filter((e) => e.type === "send" && e.message.type === "RegisteredApplication");
    const reordered = [...acked, ...fx.filter((e) => !acked.includes(e))];
    const fired: string[] = [];
    checkStoreFollowsRegistrations(
      { key: "m#0", name: "m", s, input, effects: reordered, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired.push(c) },
      newReservationLedger(),
    );
    expect(fired).toContain(M2);
    // Without the reservation's rewrite, the launch goes past what the store reserves.
    const noWrites = fx.filter((e) => e.type !== "persist");
    const fired2: string[] = [];
    checkStoreFollowsRegistrations(
      { key: "m#0", name: "m", s, input, effects: noWrites, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired2.push(c) },
      newReservationLedger(),
    );
    expect(fired2.filter((c) => c === M2).length).toBeGreaterThanOrEqual(2);
    // A removal without its unpersist.
    const removal = [log("info", "applicationRemoved", { appId: app.id, state: "FINISHED" })];
    const fired3: string[] = [];
    checkStoreFollowsRegistrations(
      {
        key: "m#0",
        name: "m",
        s,
        input: null,
        effects: removal,
        isLeader: true,
        ledger: newMasterLedger(),
        report: (c) => void fired3.push(c),
      },
      newReservationLedger(),
    );
    expect(fired3).toEqual([M2]);
  });

  it("M2: a record whose fields are not the entity's fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 8);
    const w = Object.values(s.workers)[0]!;
    const fired: string[] = [];
    const effects: Effect[] = [
      {
        type: "persist",
        key: `worker_${w.id}`,
        record: { kind: "worker", worker: { id: w.id, host: w.host, port: w.port, address: w.address, cores: 9, memoryMb: w.memoryMb } },
      },
    ];
    checkStoreFollowsRegistrations(
      { key: "m#0", name: "m", s, input: null, effects, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired.push(c) },
      newReservationLedger(),
    );
    expect(fired).toEqual([M2]);
  });
});

describe("M3: master state transitions", () => {
  it("M3: the real master's steps move along allowed edges (registration, launch, executor end, app removal)", () => {
    const { s, led } = cluster();
    const e = firstExecutor(s);
    const w = s.workers[e.workerId]!;
    expect(
      stepAndJudge(s, msg(w.address, { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "RUNNING" }), led).fired,
    ).toEqual([]);
    expect(
      stepAndJudge(s, msg(w.address, { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "EXITED", exitStatus: 0 }), led)
        .fired,
    ).toEqual([]);
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
    expect(
      judge(
        a.s,
        msg(a.s.workers[e.workerId]!.address, { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "RUNNING" }),
        [],
        a.led,
      ),
    ).toEqual([]);
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
    expect(
      judge(
        a.s,
        msg(driverAddr(1), { type: "RegisterApplication", appDesc: app.desc, driverAddress: driverAddr(1) }),
        [send(driverAddr(1), { type: "RegisteredApplication", appId: app.id, masterAddress: a.s.address })],
        a.led,
      ),
    ).toContain(M3);
  });
});

/** Runs M4 and M5 on one step. */
function judgeSchedule(
  s: MasterState,
  input: Input | null,
  effects: readonly Effect[],
  nowMs = T0,
  dead: DeadWorkerLedger = newDeadWorkerLedger(),
): string[] {
  const fired: string[] = [];
  const v = masterStepView(s, input, effects, fired, nowMs);
  checkScheduleOutcome(v);
  checkMasterTimeouts(v, dead);
  return fired;
}

describe("M4: what schedule() leaves", () => {
  const register = (s: MasterState, over: Record<string, unknown> = {}) =>
    master.step(
      s,
      msg(driverAddr(1), {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 1024, command: {}, ...over },
        driverAddress: driverAddr(1),
      }),
      { now: T0 },
    );

  it("M4: the real master's schedule (spread out, and not) passes", () => {
    for (const spreadOutApps of [true, false]) {
      for (const over of [{ maxCores: 5 }, { maxCores: 6, coresPerExecutor: 2 }, {}]) {
        const s = aliveMaster({ spreadOutApps });
        for (const n of [1, 2, 3]) addWorker(s, n, 4);
        const fx = register(s, over);
        expect(judgeSchedule(s, null, fx), `${spreadOutApps} ${JSON.stringify(over)}`).toEqual([]);
      }
    }
  });

  it("M4: an app left short while a worker could give it cores fires", () => {
    const s = aliveMaster();
    for (const n of [1, 2]) addWorker(s, n, 4);
    const fx = register(s, { maxCores: 6 });
    // Undo one of the launches in the master's books: its worker is free again, the app short.
    const app = firstApp(s);
    const e = Object.values(app.executors)[0]!;
    delete app.executors[String(e.id)];
    app.coresGranted -= e.cores;
    const w = s.workers[e.workerId]!;
    delete w.executors[`${app.id}/${e.id}`];
    w.coresUsed -= e.cores;
    w.memoryUsed -= e.memoryMb;
    expect(
      judgeSchedule(
        s,
        null,
        fx.filter((x) => !(x.type === "send" && x.message.type === "LaunchExecutor" && x.to === w.address)),
      ),
    ).toContain(M4);
  });

  it("M4: a spread-out launch that piles cores on one worker fires; so does a consolidating one that leaves two open", () => {
    const s = aliveMaster();
    for (const n of [1, 2]) addWorker(s, n, 4);
    const fx = register(s, { maxCores: 4, coresPerExecutor: 1 });
    // Claim the step gave all four cores on worker 1 and none on worker 2 (which still has room).
    const lopsided = fx.map((x) => (x.type === "send" && x.message.type === "LaunchExecutor" ? { ...x, to: workerAddr(1) } : x));
    const w2 = s.workers[wid(2)]!;
    for (const k of Object.keys(w2.executors)) delete w2.executors[k];
    w2.coresUsed = 0;
    w2.memoryUsed = 0;
    firstApp(s).desc.maxCores = 4;
    expect(judgeSchedule(s, null, lopsided)).toContain(M4);
    const c = aliveMaster({ spreadOutApps: false });
    for (const n of [1, 2]) addWorker(c, n, 4);
    const fx2 = register(c, { maxCores: 3, coresPerExecutor: 1 });
    expect(judgeSchedule(c, null, fx2)).toEqual([]);
    // Pretend each worker got one core and both still have room: a consolidating schedule never does that.
    const spread = fx2
      .filter((x) => x.type === "send" && x.message.type === "LaunchExecutor")
      .slice(0, 2)
      .map((x, i) => ({ ...x, to: workerAddr(i + 1) }));
    firstApp(c).desc.maxCores = firstApp(c).coresGranted;
    expect(judgeSchedule(c, null, spread)).toContain(M4);
  });

  it("M4: a waiting driver that fits on a live worker fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    master.step(
      s,
      msg("client", {
        type: "RequestSubmitDriver",
        desc: { jarUrl: "x", mainClass: "M", cores: 1, memoryMb: 256, supervise: false, command: {} },
      } as unknown as Message),
      { now: T0 },
    );
    expect(judgeSchedule(s, null, [])).toEqual([]);
    const d = Object.values(s.drivers)[0]!;
    const w = s.workers[d.workerId!]!;
    delete w.drivers[d.id];
    w.coresUsed -= 1;
    w.memoryUsed -= 256;
    d.workerId = undefined;
    d.state = "SUBMITTED";
    s.waitingDrivers.push(d.id);
    expect(judgeSchedule(s, null, [])).toContain(M4);
  });
});

describe("M5: master timeouts on time", () => {
  const timer: Input = { type: "timer", key: "checkForWorkerTimeOut" };

  it("M5: the real master's timer step passes; a worker removed within its timeout fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const later = T0 + s.config.workerTimeoutMs + 1;
    const fx = master.step(s, timer, { now: later });
    expect(fx.some((e) => e.type === "log" && e.event === "workerRemoved")).toBe(true);
    expect(judgeSchedule(s, timer, fx, later)).toEqual([]);
    // The same removal judged at a time when the worker's heartbeat was still fresh.
    expect(judgeSchedule(s, timer, fx, T0 + s.config.workerTimeoutMs)).toContain(M5);
  });

  it("M5: a timeout removal that does not give the timeout in seconds, as Spark's text does, fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    const later = T0 + s.config.workerTimeoutMs + 1;
    const fx = master.step(s, timer, { now: later });
    const removal = fx.find((e) => e.type === "log" && e.event === "workerRemoved");
    expect(removal?.type === "log" && removal.fields["message"]).toBe(
      `Not receiving heartbeat for ${s.config.workerTimeoutMs / 1000} seconds`,
    );
    const inMs = fx.map((e) =>
      e.type === "log" && e.event === "workerRemoved"
        ? { ...e, fields: { ...e.fields, message: `Not receiving heartbeat for ${s.config.workerTimeoutMs * 1000} seconds` } }
        : e,
    );
    expect(judgeSchedule(s, timer, inMs, later)).toEqual([M5]);
  });

  it("M5: an executor left LAUNCHING past its launch timeout fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 4);
    master.step(
      s,
      msg(driverAddr(1), {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 1024, command: {} },
        driverAddress: driverAddr(1),
      }),
      { now: T0 },
    );
    expect(Object.values(firstApp(s).executors)[0]!.state).toBe("LAUNCHING");
    expect(judgeSchedule(s, timer, [], T0 + s.config.executorLaunchTimeoutMs - 1)).toEqual([]);
    expect(judgeSchedule(s, timer, [], T0 + s.config.executorLaunchTimeoutMs)).toContain(M5);
  });

  /** A master with 10 s timeouts that keeps DEAD workers one extra timeout; worker 1 falls silent at T0 and dies at the first check. */
  function deadWorker(): { s: MasterState; dead: DeadWorkerLedger; at: (ms: number) => string[] } {
    const s = aliveMaster({ workerTimeoutMs: 10_000, deadWorkerPersistence: 1 });
    addWorker(s, 1, 4);
    const dead = newDeadWorkerLedger();
    const at = (ms: number): string[] => judgeSchedule(s, timer, master.step(s, timer, { now: T0 + ms }), T0 + ms, dead);
    expect(at(10_001)).toEqual([]);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    return { s, dead, at };
  }

  it("M5: the real master culls a DEAD worker at the first check past (persistence + 1) timeouts, and that passes", () => {
    const { s, at } = deadWorker();
    expect(at(20_000)).toEqual([]);
    expect(s.workers[wid(1)]?.state).toBe("DEAD"); // last heartbeat exactly 2 timeouts ago: not older
    expect(at(20_001)).toEqual([]);
    expect(s.workers[wid(1)]).toBeUndefined();
  });

  it("M5: a DEAD worker kept past (persistence + 1) timeouts fires", () => {
    const { s, dead, at } = deadWorker();
    expect(at(20_000)).toEqual([]);
    const w = s.workers[wid(1)]!;
    master.step(s, timer, { now: T0 + 20_001 });
    s.workers[w.id] = w; // a master that forgot to cull it
    expect(judgeSchedule(s, timer, [], T0 + 20_001, dead)).toContain(M5);
  });

  it("M5: a DEAD worker culled before (persistence + 1) timeouts fires", () => {
    const { s, dead } = deadWorker();
    delete s.workers[wid(1)]; // a master that culls it at the next check already
    expect(judgeSchedule(s, timer, [], T0 + 20_000, dead)).toContain(M5);
  });

  it("M5: a DEAD entry a registration replaced between checks is not taken for a culled one", () => {
    const { s, dead } = deadWorker();
    const fx = master.step(s, msg(workerAddr(1), registerWorkerMsg(1, 4)), { now: T0 + 12_000 });
    expect(s.workers[wid(1)]!.state).toBe("ALIVE");
    expect(judgeSchedule(s, msg(workerAddr(1), registerWorkerMsg(1, 4)), fx, T0 + 12_000, dead)).toEqual([]);
    delete s.workers[wid(1)];
    expect(judgeSchedule(s, timer, [], T0 + 20_000, dead)).toEqual([]);
  });
});

describe("M1/M3: recovery and executor ends", () => {
  it("M1: a master still RECOVERING with nothing left to hear from fires", () => {
    const s = newMaster();
    master.step(
      s,
      {
        type: "leaderElected",
        stored: { apps: [], drivers: [], workers: [{ id: wid(1), host: "h", port: 1, address: workerAddr(1), cores: 4, memoryMb: 4096 }] },
      },
      { now: T0 },
    );
    expect(s.recoveryState).toBe("RECOVERING");
    const ok: string[] = [];
    checkMasterBooks(s, (c) => void ok.push(c), "master-1");
    expect(ok).toEqual([]);
    s.workers[wid(1)]!.state = "ALIVE";
    const fired: string[] = [];
    checkMasterBooks(s, (c) => void fired.push(c), "master-1");
    expect(fired).toEqual([M1]);
  });

  it("M3: an executor ended without its worker's report, or ended in another state than reported, fires", () => {
    const a = cluster();
    const e = firstExecutor(a.s);
    e.state = "EXITED";
    expect(judge(a.s, heartbeat(a.s), [], a.led)).toContain(M3);
    const b = cluster();
    const f = firstExecutor(b.s);
    const w = b.s.workers[f.workerId]!;
    f.state = "FAILED";
    expect(
      judge(b.s, msg(w.address, { type: "ExecutorStateChanged", appId: f.appId, execId: f.id, state: "RUNNING" }), [], b.led),
    ).toContain(M3);
  });

  it("M3: a worker dropped as UNKNOWN on an answer (not a timeout) fires", () => {
    const s = newMaster();
    const led = newLedgers();
    judge(s, null, [], led);
    const stored = {
      apps: [],
      drivers: [],
      workers: [1, 2].map((n) => ({ id: wid(n), host: `h${n}`, port: n, address: workerAddr(n), cores: 4, memoryMb: 4096 })),
    };
    expect(stepAndJudge(s, { type: "leaderElected", stored }, led).fired).toEqual([]);
    const input = msg(workerAddr(1), { type: "WorkerSchedulerStateResponse", workerId: wid(1), executors: [], driverIds: [] });
    master.step(s, input, { now: T0 });
    s.workers[wid(2)]!.state = "DEAD";
    expect(
      judge(
        s,
        input,
        [log("info", "workerRemoved", { workerId: wid(2), message: "x" }), { type: "unpersist", key: `worker_${wid(2)}` }],
        led,
      ),
    ).toContain(M3);
  });

  it("M3: a driver reported FINISHED that stays, or is removed as another state, fires", () => {
    const { s, led } = cluster();
    stepAndJudge(
      s,
      msg("client", {
        type: "RequestSubmitDriver",
        desc: { jarUrl: "x", mainClass: "M", cores: 1, memoryMb: 256, supervise: false, command: {} },
      } as unknown as Message),
      led,
    );
    const d = Object.values(s.drivers)[0]!;
    const w = s.workers[d.workerId!]!;
    const report = msg(w.address, { type: "DriverStateChanged", driverId: d.id, state: "FINISHED" });
    expect(judge(s, report, [], led)).toContain(M3);
    expect(stepAndJudge(s, report, led).fired).toEqual([]);
  });
});

describe("M2: the duplicate flag of RegisteredWorker", () => {
  it("M2: a new registration acknowledged as a duplicate, or a duplicate as new, fires", () => {
    const s = aliveMaster();
    const input = msg(workerAddr(1), registerWorkerMsg(1));
    const fx = master.step(s, input, { now: T0 });
    const judgeFx = (effects: Effect[]) => {
      const fired: string[] = [];
      checkStoreFollowsRegistrations(
        { key: "m#0", name: "m", s, input, effects, isLeader: true, ledger: newMasterLedger(), report: (c) => void fired.push(c) },
        newReservationLedger(),
      );
      return fired;
    };
    expect(judgeFx(fx)).toEqual([]);
    const flip = (effects: Effect[]) =>
      effects.map((e) =>
        e.type === "send" && e.message.type === "RegisteredWorker"
          ? { ...e, message: { ...e.message, duplicate: !e.message.duplicate } }
          : e,
      );
    expect(judgeFx(flip(fx))).toContain(M2);
    const again = master.step(s, input, { now: T0 });
    expect(judgeFx(again)).toEqual([]);
    expect(judgeFx(flip(again))).toContain(M2);
  });
});

describe("M6: an app is removed at its executor retry limit", () => {
  it("M6: the real master removes it at the limit; one kept there fires", () => {
    const s = aliveMaster({ maxExecutorRetries: 2 });
    addWorker(s, 1, 4);
    master.step(
      s,
      msg(driverAddr(1), {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 1024, command: {}, maxCores: 1 },
        driverAddress: driverAddr(1),
      }),
      { now: T0 },
    );
    const ledger = newMasterLedger();
    const judgeStep = (input: Input, effects: Effect[]) => {
      const fired: string[] = [];
      const v = {
        key: "master-1#0",
        name: "master-1",
        s,
        input,
        effects,
        isLeader: true,
        ledger,
        report: (c: string) => void fired.push(c),
      };
      checkMasterStep(v);
      checkAppRemovedAtMaxRetries(v);
      return fired;
    };
    const fail = (): { input: Input; fx: Effect[] } => {
      const e = firstExecutor(s);
      const input = msg(workerAddr(1), { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "FAILED", exitStatus: 1 });
      return { input, fx: master.step(s, input, { now: T0 }) };
    };
    const one = fail();
    expect(judgeStep(one.input, one.fx)).toEqual([]);
    expect(Object.keys(s.apps)).toHaveLength(1);
    // The second failure reaches the limit: the real master removes the app.
    const appId = firstApp(s).id;
    const two = fail();
    expect(s.apps[appId]).toBeUndefined();
    expect(judgeStep(two.input, two.fx)).toEqual([]);
    // A master that kept it: put the app back as it was, and judge the same step again.
    const t = aliveMaster({ maxExecutorRetries: 1 });
    addWorker(t, 1, 4);
    master.step(
      t,
      msg(driverAddr(1), {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 1024, command: {}, maxCores: 1 },
        driverAddress: driverAddr(1),
      }),
      { now: T0 },
    );
    const e = Object.values(Object.values(t.apps)[0]!.executors)[0]!;
    const input = msg(workerAddr(1), { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "FAILED", exitStatus: 1 });
    const kept = { ...Object.values(t.apps)[0]! };
    const fx = master.step(t, input, { now: T0 });
    t.apps[kept.id] = kept;
    const fired: string[] = [];
    const v = {
      key: "master-1#0",
      name: "master-1",
      s: t,
      input,
      effects: fx.filter((x) => !(x.type === "send" && x.message.type === "ApplicationRemoved")),
      isLeader: true,
      ledger: newMasterLedger(),
      report: (c: string) => void fired.push(c),
    };
    checkMasterStep(v);
    checkAppRemovedAtMaxRetries(v);
    expect(fired).toContain(M6);
  });
});
