/**
 * The driver registers again when the connection to its master breaks and no MasterChanged follows
 * (flint; Spark waits for ever: docs/protocol.md §7 item 28, switch WAIT-FOR-MASTER).
 */
import { describe, expect, it } from "vitest";
import { APP_REGISTRATION_TIMER, APP_REREGISTRATION_TIMER } from "../../../src/protocol/driver/index.js";
import { address, appId } from "../../../src/protocol/index.js";
import {
  addExecutor,
  APP,
  command,
  deliver,
  eid,
  exits,
  ignoredWhy,
  launched,
  logEvents,
  MASTER,
  MASTER2,
  messagesOf,
  newDriver,
  notes,
  registeredDriver,
  sends,
  step,
  submit,
  T0,
  taskSet,
  timer,
} from "./fixtures.js";

const NEW_APP = appId("app-20260101000100-0001");
const GRACE_MS = 10_000;
const ROUND_MS = 20_000;

function disconnectedDriver(overrides = {}) {
  const s = registeredDriver(overrides, { masters: [MASTER, MASTER2] });
  const fx = step(s, { type: "peerDisconnected", peer: MASTER });
  return { s, fx };
}

describe("driver: re-registration after the master's connection broke", () => {
  it("a registered driver arms the re-registration grace and sends nothing yet", () => {
    const { s, fx } = disconnectedDriver();
    expect(sends(fx)).toEqual([]);
    expect(fx).toContainEqual({ type: "setTimer", key: APP_REREGISTRATION_TIMER, afterMs: GRACE_MS });
    expect(s.appClient.reregistrationAttempt).toBe(0);
  });

  it("with WAIT-FOR-MASTER on (Spark): no re-registration is armed, the driver waits for a MasterChanged", () => {
    const { s, fx } = disconnectedDriver({ bugs: ["WAIT-FOR-MASTER"] });
    expect(fx.filter((e) => e.type === "setTimer")).toEqual([]);
    expect(s.appClient.reregistrationAttempt).toBeNull();
  });

  it("before the first RegisteredApplication: the registration rounds go on, no re-registration", () => {
    const s = newDriver({}, { masters: [MASTER, MASTER2] });
    s.appClient.master = MASTER; // a master that answered nothing yet cannot be followed; force the disconnect path
    const fx = step(s, { type: "peerDisconnected", peer: MASTER });
    expect(fx.filter((e) => e.type === "setTimer")).toEqual([]);
    expect(s.appClient.reregistrationAttempt).toBeNull();
  });

  it("after the grace: RegisterApplication to every master, then one attempt every appRegistrationTimeoutMs", () => {
    const { s } = disconnectedDriver();
    const fx = timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS);
    const regs = sends(fx, "RegisterApplication");
    expect(regs.map((e) => e.to)).toEqual([MASTER, MASTER2]);
    expect(messagesOf(fx, "RegisterApplication")[0]).toMatchObject({ driverAddress: s.address, appDesc: { name: "pi" } });
    expect(fx).toContainEqual({ type: "setTimer", key: APP_REREGISTRATION_TIMER, afterMs: ROUND_MS });
    expect(logEvents(fx)).toContain("reregisteringWithMasters");
    expect(s.appClient.reregistrationAttempt).toBe(1);
  });

  it("a MasterChanged: acknowledged, then the app is confirmed with the new leader by one RegisterApplication (answer within appRegistrationTimeoutMs)", () => {
    const { s } = disconnectedDriver();
    const fx = deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    const sent = sends(fx).map((e) => (e.type === "send" ? `${e.message.type}->${e.to}` : ""));
    expect(sent).toEqual([`MasterChangeAcknowledged->${MASTER2}`, `RegisterApplication->${MASTER2}`]);
    expect(fx).toContainEqual({ type: "setTimer", key: APP_REREGISTRATION_TIMER, afterMs: ROUND_MS });
    expect(s.appClient).toMatchObject({ master: MASTER2, alreadyDisconnected: false, reregistrationAttempt: 1 });
    // Answered with the same id: done, nothing else changes.
    const answer = deliver(s, MASTER2, { type: "RegisteredApplication", appId: APP, masterAddress: MASTER2 });
    expect(answer).toContainEqual({ type: "cancelTimer", key: APP_REREGISTRATION_TIMER });
    expect(s.appClient.reregistrationAttempt).toBeNull();
    expect(ignoredWhy(timer(s, APP_REREGISTRATION_TIMER, T0 + ROUND_MS))).toEqual(["not-reregistering"]);
  });

  it("a late MasterChanged from a leader that finished the app: the confirmation gets a new id and the driver carries on under it", () => {
    const s = registeredDriver({}, { masters: [MASTER, MASTER2] });
    addExecutor(s, 0);
    deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: NEW_APP, masterAddress: MASTER2 });
    expect(s.appClient.appId).toBe(NEW_APP);
    expect(logEvents(fx)).toContain("applicationReplaced");
    expect(s.backend.executors).toEqual({});
  });

  it("a MasterChanged whose confirmation is not answered: the re-registration goes on with every master", () => {
    const { s } = disconnectedDriver();
    deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    const fx = timer(s, APP_REREGISTRATION_TIMER, T0 + ROUND_MS);
    expect(sends(fx, "RegisterApplication").map((e) => e.to)).toEqual([MASTER, MASTER2]);
    expect(s.appClient.reregistrationAttempt).toBe(2);
  });

  it("with WAIT-FOR-MASTER on (Spark): a MasterChanged is only acknowledged", () => {
    const s = registeredDriver({ bugs: ["WAIT-FOR-MASTER"] }, { masters: [MASTER, MASTER2] });
    const fx = deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    expect(sends(fx).map((e) => (e.type === "send" ? e.message.type : ""))).toEqual(["MasterChangeAcknowledged"]);
    expect(fx.filter((e) => e.type === "setTimer")).toEqual([]);
  });

  it("the same app id back (the master still had the app): executors and tasks are kept, the answering master is followed", () => {
    const { s } = disconnectedDriver();
    addExecutor(s, 0);
    const running = launched(submit(s, "j1", taskSet(2)));
    expect(running).toHaveLength(2);
    timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS);
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: APP, masterAddress: MASTER2 });
    expect(fx).toContainEqual({ type: "cancelTimer", key: APP_REREGISTRATION_TIMER });
    expect(sends(fx, "StopExecutor")).toEqual([]);
    expect(logEvents(fx)).not.toContain("registeredApplicationAgain");
    expect(s.appClient).toMatchObject({ appId: APP, master: MASTER2, alreadyDisconnected: false, reregistrationAttempt: null });
    expect(Object.keys(s.backend.executors)).toEqual([eid(0)]);
  });

  it("a new app id: adopted; the old app's executors are stopped and removed, their tasks rerun without counting as failures", () => {
    const { s } = disconnectedDriver();
    addExecutor(s, 0, 2);
    const first = launched(submit(s, "j1", taskSet(3)));
    expect(first.map((t) => t.index)).toEqual([0, 1]);
    timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS);
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: NEW_APP, masterAddress: MASTER2 });
    expect(s.appClient).toMatchObject({ appId: NEW_APP, master: MASTER2, alreadyDisconnected: false, reregistrationAttempt: null });
    expect(notes(fx, "appRegistered")).toEqual([{ kind: "appRegistered", appId: NEW_APP }]);
    expect(logEvents(fx)).toContain("applicationReplaced");
    expect(sends(fx, "StopExecutor").map((e) => e.to)).toEqual([address("executor-0")]);
    expect(notes(fx, "executorRemoved").map((n) => n.executorId)).toEqual([eid(0)]);
    expect(s.backend.executors).toEqual({});
    const tsm = Object.values(s.scheduler.taskSets)[0]!;
    expect(tsm.numFailures.every((n) => n === 0)).toBe(true);
    expect(notes(fx, "jobFailed")).toEqual([]);
    // The new app's executor 0 (same id, another process) is accepted and gets the tasks again.
    const newExec = address("executor-new-0");
    deliver(s, newExec, { type: "RegisterExecutor", executorId: eid(0), executorAddress: newExec, hostname: "host-9", cores: 4 });
    const again = launched(deliver(s, newExec, { type: "LaunchedExecutor", executorId: eid(0) }));
    expect(again.map((t) => t.index).sort()).toEqual([0, 1, 2]);
  });

  it("a new app id: a target the driver had asked for is asked of the new app", () => {
    const { s } = disconnectedDriver();
    command(s, { kind: "requestTotalExecutors", total: 3 });
    timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS);
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: NEW_APP, masterAddress: MASTER2 });
    expect(sends(fx, "RequestExecutors")).toEqual([
      { type: "send", to: MASTER2, message: { type: "RequestExecutors", appId: NEW_APP, requestedTotal: 3 } },
    ]);
  });

  it("a second RegisteredApplication outside a re-registration keeps Spark's overwrite: no executor is dropped", () => {
    const s = registeredDriver({}, { masters: [MASTER, MASTER2] });
    addExecutor(s, 0);
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: NEW_APP, masterAddress: MASTER2 });
    expect(logEvents(fx)).toContain("registeredApplicationAgain");
    expect(sends(fx, "StopExecutor")).toEqual([]);
    expect(Object.keys(s.backend.executors)).toEqual([eid(0)]);
  });

  it("after appReregistrationAttempts unanswered attempts: gives up as an unregistered driver does", () => {
    const { s } = disconnectedDriver({ appReregistrationAttempts: 2 });
    submit(s, "j1", taskSet(1));
    timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS);
    timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS + ROUND_MS);
    expect(s.appClient.reregistrationAttempt).toBe(2);
    const fx = timer(s, APP_REREGISTRATION_TIMER, T0 + GRACE_MS + 2 * ROUND_MS);
    expect(sends(fx, "RegisterApplication")).toEqual([]);
    expect(notes(fx, "jobFailed")).toEqual([{ kind: "jobFailed", jobId: "j1", reason: "All masters are unresponsive! Giving up." }]);
    expect(exits(fx)).toEqual([{ type: "exit", code: 1, reason: "All masters are unresponsive! Giving up." }]);
  });

  it("the first registration's timer after a re-registration started changes nothing (the driver is registered)", () => {
    const { s } = disconnectedDriver();
    const fx = timer(s, APP_REGISTRATION_TIMER, T0 + 20_000);
    expect(sends(fx)).toEqual([]);
    expect(s.appClient.reregistrationAttempt).toBe(0);
  });

  it("a drop of the followed master after a MasterChanged starts a new re-registration", () => {
    const { s } = disconnectedDriver();
    deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    const fx = step(s, { type: "peerDisconnected", peer: MASTER2 });
    expect(fx).toContainEqual({ type: "setTimer", key: APP_REREGISTRATION_TIMER, afterMs: GRACE_MS });
  });
});
