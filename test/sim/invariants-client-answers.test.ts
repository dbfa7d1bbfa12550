/**
 * Q1-Q3 (the master's answers to driver status and kill requests and to a driver's executor
 * requests tell the truth) and Q4 (the master's limits are kept and answered): each stays quiet
 * on the real master's steps and fires on a broken step fed to it (a check that cannot fail is a
 * defect).
 */
import { describe, expect, it } from "vitest";
import { address, type Effect, type Input, type Message } from "../../src/protocol/index.js";
import { master, type MasterState } from "../../src/protocol/master/index.js";
import type { DriverId } from "../../src/protocol/ids.js";
import { checkClientAnswers, Q1, Q2, Q3, Q5 } from "../../src/sim/invariants/client-answers.js";
import { checkMasterLimits, Q4 } from "../../src/sim/invariants/master-limits.js";
import { addApp, addWorker, aliveMaster, driverAddr, newMaster, registerWorkerMsg, T0, workerAddr } from "../protocol/master/fixtures.js";
import { masterStepView } from "./helpers.js";

const CLIENT = address("client");
const msg = (from: string, message: Message): Input => ({ type: "message", from: address(from), message });

/** Q1-Q4 on one master step (its state after, its input and effects); returns the checks that fired. */
function judge(s: MasterState, input: Input, effects: readonly Effect[]): string[] {
  const fired: string[] = [];
  const v = masterStepView(s, input, effects, fired);
  checkClientAnswers(v);
  checkMasterLimits(v);
  return fired;
}

/** Steps the real master on `input`, judges the step, and returns its effects. */
function stepJudged(s: MasterState, input: Input): { fx: Effect[]; fired: string[] } {
  const fx = master.step(s, input, { now: T0 });
  return { fx, fired: judge(s, input, fx) };
}

/** The answer of `type` among the effects, replaced by `change(answer)`. */
function tamper(fx: Effect[], type: Message["type"], change: (m: Record<string, unknown>) => Record<string, unknown>): Effect[] {
  return fx.map((e) =>
    e.type === "send" && e.message.type === type ? { ...e, message: change({ ...e.message }) as unknown as Message } : e,
  );
}

const submit = (s: MasterState, memoryMb = 1024): DriverId => {
  master.step(s, msg(CLIENT, { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb, supervise: false, command: {} } }), { now: T0 });
  return Object.keys(s.drivers).sort().at(-1)! as DriverId;
};

describe("Q1: a driver status answer tells the driver's state at the master", () => {
  it("Q1: the real master's answers (placed, waiting, completed, unknown, not ALIVE) pass; a wrong state, worker or found flag fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2, 2048);
    const placed = submit(s);
    const waiting = submit(s, 100_000); // fits no worker: stays queued
    expect(s.drivers[placed]!.workerId).toBeDefined();
    expect(s.waitingDrivers).toEqual([waiting]);
    for (const id of [placed, waiting, "driver-unknown" as DriverId]) {
      const input = msg(CLIENT, { type: "RequestDriverStatus", driverId: id });
      const { fx, fired } = stepJudged(s, input);
      expect(fired, id).toEqual([]);
      const found = id !== "driver-unknown";
      expect(
        judge(
          s,
          input,
          tamper(fx, "DriverStatusResponse", (m) => ({ ...m, found: !found })),
        ),
      ).toContain(Q1);
      if (found) {
        expect(
          judge(
            s,
            input,
            tamper(fx, "DriverStatusResponse", (m) => ({ ...m, state: "FINISHED" })),
          ),
        ).toContain(Q1);
        if (id === placed)
          expect(
            judge(
              s,
              input,
              tamper(fx, "DriverStatusResponse", (m) => ({ ...m, workerId: undefined, workerHostPort: undefined })),
            ),
          ).toContain(Q1);
      }
      // No answer, or two, or one to someone else.
      expect(
        judge(
          s,
          input,
          fx.filter((e) => !(e.type === "send" && e.message.type === "DriverStatusResponse")),
        ),
      ).toContain(Q1);
      expect(judge(s, input, [...fx, ...fx.filter((e) => e.type === "send")])).toContain(Q1);
    }
    // A completed driver is still found, in its end state.
    master.step(s, msg(workerAddr(1), { type: "DriverStateChanged", driverId: placed, state: "FINISHED" }), { now: T0 });
    expect(s.drivers[placed]).toBeUndefined();
    const done = stepJudged(s, msg(CLIENT, { type: "RequestDriverStatus", driverId: placed }));
    expect(done.fired).toEqual([]);
    expect(done.fx).toContainEqual(expect.objectContaining({ message: expect.objectContaining({ found: true, state: "FINISHED" }) }));
    // A standby finds nothing and says why; one that says it found something fires.
    const standby = newMaster();
    const input = msg(CLIENT, { type: "RequestDriverStatus", driverId: placed });
    const fx = master.step(standby, input, { now: T0 });
    expect(judge(standby, input, fx)).toEqual([]);
    expect(
      judge(
        standby,
        input,
        tamper(fx, "DriverStatusResponse", (m) => ({ ...m, found: true })),
      ),
    ).toContain(Q1);
  });
});

describe("Q2: a driver kill is answered truly and done", () => {
  it("Q2: the real master kills a waiting driver at once, tells a placed one's worker, refuses an unknown one; each broken variant fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2, 2048);
    const placed = submit(s);
    const waiting = submit(s, 100_000);
    const kill = (id: DriverId): Input => msg(CLIENT, { type: "RequestKillDriver", driverId: id });

    // A placed driver: success, and its worker is told.
    const p = stepJudged(s, kill(placed));
    expect(p.fired).toEqual([]);
    expect(p.fx).toContainEqual(expect.objectContaining({ to: workerAddr(1), message: { type: "KillDriver", driverId: placed } }));
    expect(
      judge(
        s,
        kill(placed),
        p.fx.filter((e) => !(e.type === "send" && e.message.type === "KillDriver")),
      ),
    ).toContain(Q2);
    expect(
      judge(
        s,
        kill(placed),
        tamper(p.fx, "KillDriverResponse", (m) => ({ ...m, success: false })),
      ),
    ).toContain(Q2);

    // A waiting driver: removed KILLED in the same step.
    const w = stepJudged(s, kill(waiting));
    expect(w.fired).toEqual([]);
    expect(s.drivers[waiting]).toBeUndefined();
    expect(s.completedDrivers.at(-1)).toMatchObject({ id: waiting, state: "KILLED" });
    // A master that answered success but left it queued (the removal undone) fires.
    const kept = aliveMaster();
    addWorker(kept, 1, 2, 2048);
    const queued = submit(kept, 100_000);
    const fx = master.step(kept, kill(queued), { now: T0 });
    const left = {
      ...kept,
      drivers: {
        ...kept.drivers,
        [queued]: {
          id: queued,
          desc: { cores: 1, memoryMb: 100_000, supervise: false, command: {} },
          startTimeMs: T0,
          state: "SUBMITTED" as const,
        },
      },
      waitingDrivers: [queued],
      completedDrivers: [],
    };
    expect(
      judge(
        left,
        kill(queued),
        fx.filter((e) => !(e.type === "log" && e.event === "driverRemoved")),
      ),
    ).toContain(Q2);
    // A master that removed a placed driver on the kill (its worker never asked) fires.
    const removedPlaced = {
      ...s,
      completedDrivers: [
        ...s.completedDrivers,
        { id: placed, state: "KILLED" as const, workerId: s.drivers[placed]!.workerId, startTimeMs: T0, endTimeMs: T0 },
      ],
      drivers: {},
    };
    expect(
      judge(removedPlaced, kill(placed), [
        ...p.fx,
        { type: "log", level: "info", event: "driverRemoved", fields: { driverId: placed, state: "KILLED" } },
      ]),
    ).toContain(Q2);

    // An unknown (or already finished) driver: refused.
    const u = stepJudged(s, kill(waiting));
    expect(u.fired).toEqual([]);
    expect(u.fx).toContainEqual(
      expect.objectContaining({ message: expect.objectContaining({ type: "KillDriverResponse", success: false }) }),
    );
    expect(
      judge(
        s,
        kill(waiting),
        tamper(u.fx, "KillDriverResponse", (m) => ({ ...m, success: true })),
      ),
    ).toContain(Q2);
    expect(
      judge(
        s,
        kill(waiting),
        tamper(u.fx, "KillDriverResponse", (m) => ({ ...m, driverId: placed })),
      ),
    ).toContain(Q2);

    // A master that is not ALIVE refuses; one that accepts fires.
    const standby = newMaster();
    const sfx = master.step(standby, kill(placed), { now: T0 });
    expect(judge(standby, kill(placed), sfx)).toEqual([]);
    expect(
      judge(
        standby,
        kill(placed),
        tamper(sfx, "KillDriverResponse", (m) => ({ ...m, success: true })),
      ),
    ).toContain(Q2);
  });
});

describe("Q3: executor requests are acknowledged exactly when the master knows the app", () => {
  it("Q3: known and unknown apps are answered truly; a flipped acknowledgement, an unset limit or a kept executor fires", () => {
    const s = aliveMaster();
    addWorker(s, 1, 8);
    addApp(s, 1, { coresPerExecutor: 2 });
    const app = Object.values(s.apps)[0]!;
    const from = app.driverAddress;
    const request = (appId: string, requestedTotal: number): Input =>
      msg(from, { type: "RequestExecutors", appId: appId as never, requestedTotal });
    const known = stepJudged(s, request(app.id, 2));
    expect(known.fired).toEqual([]);
    expect(app.executorLimit).toBe(2);
    expect(
      judge(
        s,
        request(app.id, 2),
        tamper(known.fx, "RequestExecutorsResponse", (m) => ({ ...m, acknowledged: false })),
      ),
    ).toContain(Q3);
    app.executorLimit = 7; // as if the request had not set it
    expect(judge(s, request(app.id, 2), known.fx)).toContain(Q3);
    app.executorLimit = 2;
    const unknown = stepJudged(s, request("app-unknown", 2));
    expect(unknown.fired).toEqual([]);
    expect(unknown.fx).toContainEqual(expect.objectContaining({ message: expect.objectContaining({ acknowledged: false }) }));
    expect(
      judge(
        s,
        request("app-unknown", 2),
        tamper(unknown.fx, "RequestExecutorsResponse", (m) => ({ ...m, acknowledged: true })),
      ),
    ).toContain(Q3);

    const execId = Object.keys(app.executors)[0]!;
    const killInput = msg(from, { type: "KillExecutors", appId: app.id, executorIds: [execId] });
    const before = structuredClone(app.executors[execId]!);
    const killed = stepJudged(s, killInput);
    expect(killed.fired).toEqual([]);
    expect(app.executors[execId]).toBeUndefined();
    app.executors[execId] = before; // a master that acknowledged the kill but kept the executor
    expect(judge(s, killInput, killed.fx)).toContain(Q3);
    delete app.executors[execId];
    const unknownKill = stepJudged(s, msg(from, { type: "KillExecutors", appId: "app-unknown" as never, executorIds: ["0"] }));
    expect(unknownKill.fired).toEqual([]);
  });
});

describe("Q5: an app its driver unregisters is finished", () => {
  it("Q5: the real master finishes a held app and ignores an unknown one; a master that keeps it, or ends it otherwise, fires; a refused sender is not judged", () => {
    const s = aliveMaster();
    addWorker(s, 1, 8);
    addApp(s, 1);
    const app = Object.values(s.apps)[0]!;
    const unregister = (from: string, appId: string): Input => msg(from, { type: "UnregisterApplication", appId: appId as never });
    const kept = structuredClone(app);
    const done = stepJudged(s, unregister(app.driverAddress, app.id));
    expect(done.fired).toEqual([]);
    expect(s.apps[app.id]).toBeUndefined();
    expect(stepJudged(s, unregister(app.driverAddress, app.id)).fired).toEqual([]); // now unknown: ignored
    // A master that kept it, or removed it FAILED.
    s.apps[app.id] = kept;
    expect(judge(s, unregister(app.driverAddress, app.id), done.fx)).toContain(Q5);
    delete s.apps[app.id];
    const failed = done.fx.map((e) =>
      e.type === "log" && e.event === "applicationRemoved" ? { ...e, fields: { ...e.fields, state: "FAILED" } } : e,
    );
    expect(judge(s, unregister(app.driverAddress, app.id), failed)).toContain(Q5);
    // Another node's UnregisterApplication is refused by the authority table: kept, rightly.
    const t = aliveMaster();
    addWorker(t, 1, 8);
    addApp(t, 1);
    const other = Object.values(t.apps)[0]!;
    const forged = stepJudged(t, unregister("worker-1", other.id));
    expect(t.apps[other.id]).toBeDefined();
    expect(forged.fired).toEqual([]);
    // So is another node's RequestExecutors: it gets no answer.
    const refusedAsk = stepJudged(t, msg("worker-1", { type: "RequestExecutors", appId: other.id, requestedTotal: 1 }));
    expect(refusedAsk.fx.some((e) => e.type === "send")).toBe(false);
    expect(refusedAsk.fired).toEqual([]);
  });
});

describe("Q4: the master's limits are kept and answered", () => {
  it("Q4: at maxWorkers, maxApplications and maxDrivers the real master refuses and tells; over the limit, under it, or untold fires", () => {
    const s = aliveMaster({ maxWorkers: 1, maxApplications: 1, maxDrivers: 1 });
    expect(stepJudged(s, msg(workerAddr(1), registerWorkerMsg(1))).fired).toEqual([]);
    const second = msg(workerAddr(2), registerWorkerMsg(2));
    const refused = stepJudged(s, second);
    expect(refused.fired).toEqual([]);
    expect(refused.fx).toContainEqual(
      expect.objectContaining({ to: workerAddr(2), message: expect.objectContaining({ type: "RegisterWorkerFailed" }) }),
    );
    // Refused without telling the worker; refused below the limit.
    expect(
      judge(
        s,
        second,
        refused.fx.filter((e) => e.type !== "send"),
      ),
    ).toContain(Q4);
    expect(judge({ ...s, config: { ...s.config, maxWorkers: 5 } }, second, refused.fx)).toContain(Q4);

    const reg = (n: number): Input =>
      msg(driverAddr(n), {
        type: "RegisterApplication",
        appDesc: { name: `a${n}`, memoryPerExecutorMb: 1024, command: {} },
        driverAddress: driverAddr(n),
      });
    expect(stepJudged(s, reg(1)).fired).toEqual([]);
    const app2 = stepJudged(s, reg(2));
    expect(app2.fired).toEqual([]);
    expect(app2.fx).toContainEqual(
      expect.objectContaining({ to: driverAddr(2), message: expect.objectContaining({ type: "ApplicationRemoved" }) }),
    );
    expect(Object.keys(s.apps)).toHaveLength(1);

    const sub: Input = msg(CLIENT, { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 512, supervise: false, command: {} } });
    expect(stepJudged(s, sub).fired).toEqual([]);
    const drv2 = stepJudged(s, sub);
    expect(drv2.fired).toEqual([]);
    expect(drv2.fx).toContainEqual(
      expect.objectContaining({ message: expect.objectContaining({ type: "SubmitDriverResponse", success: false }) }),
    );
    expect(
      judge(
        s,
        sub,
        tamper(drv2.fx, "SubmitDriverResponse", (m) => ({ ...m, success: true })),
      ),
    ).toContain(Q4);

    // A master that accepts past the limit: the same steps on a master with room, judged against a limit of 1.
    const roomy = aliveMaster({ maxWorkers: 2, maxApplications: 2 });
    master.step(roomy, msg(workerAddr(1), registerWorkerMsg(1)), { now: T0 });
    const over = master.step(roomy, second, { now: T0 });
    expect(judge({ ...roomy, config: { ...roomy.config, maxWorkers: 1 } }, second, over)).toContain(Q4);
    master.step(roomy, reg(1), { now: T0 });
    const overApp = master.step(roomy, reg(2), { now: T0 });
    expect(judge({ ...roomy, config: { ...roomy.config, maxApplications: 1 } }, reg(2), overApp)).toContain(Q4);
  });
});
