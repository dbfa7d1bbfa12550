import { describe, expect, it } from "vitest";
import { APP_REGISTRATION_TIMER, EXPIRE_DEAD_HOSTS_TIMER, REVIVE_TIMER } from "../../../src/protocol/driver/index.js";
import { appId, workerId } from "../../../src/protocol/index.js";
import { appRegistrationDeadlineMs } from "../../../src/protocol/driver/appClient.js";
import {
  addExecutor,
  APP,
  command,
  deliver,
  DRIVER,
  exits,
  ignoredWhy,
  initDriver,
  launched,
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

describe("driver: registration with the masters (§1.4)", () => {
  it("driver: init: sends RegisterApplication to every master and arms the registration, revive and heartbeat-check timers", () => {
    const { state, effects } = initDriver({}, { masters: [MASTER, MASTER2] });
    const regs = sends(effects, "RegisterApplication");
    expect(regs.map((e) => e.to)).toEqual([MASTER, MASTER2]);
    expect(regs[0]!.message).toMatchObject({ driverAddress: DRIVER, appDesc: { name: "pi", command: { module: "pi.js" } } });
    expect(effects).toContainEqual({ type: "setTimer", key: APP_REGISTRATION_TIMER, afterMs: 20_000 });
    expect(effects).toContainEqual({ type: "setTimer", key: REVIVE_TIMER, afterMs: 1_000 });
    expect(effects).toContainEqual({ type: "setTimer", key: EXPIRE_DEAD_HOSTS_TIMER, afterMs: 60_000 });
    expect(state.appClient).toMatchObject({ registered: false, appId: null, registrationRound: 1 });
  });

  it("driver: appRegistration timer while unregistered: a new round goes to every master", () => {
    const s = newDriver({}, { masters: [MASTER, MASTER2] });
    const fx = timer(s, APP_REGISTRATION_TIMER, T0 + 20_000);
    expect(sends(fx, "RegisterApplication").map((e) => e.to)).toEqual([MASTER, MASTER2]);
    expect(fx).toContainEqual({ type: "setTimer", key: APP_REGISTRATION_TIMER, afterMs: 20_000 });
    expect(s.appClient.registrationRound).toBe(2);
  });

  it("driver: appRegistrationDeadlineMs, which the real driver API waits, is one round after the app client gives up", () => {
    for (const overrides of [{}, { appRegistrationTimeoutMs: 700, appRegistrationRetries: 5 }]) {
      const s = newDriver(overrides);
      const p = s.protocol;
      let gaveUpAtMs: number | undefined;
      for (
        let t = p.appRegistrationTimeoutMs;
        gaveUpAtMs === undefined && t <= 100 * p.appRegistrationTimeoutMs;
        t += p.appRegistrationTimeoutMs
      ) {
        if (exits(timer(s, APP_REGISTRATION_TIMER, T0 + t)).length > 0) gaveUpAtMs = t;
      }
      expect(gaveUpAtMs).toBe(p.appRegistrationTimeoutMs * p.appRegistrationRetries);
      expect(appRegistrationDeadlineMs(p)).toBe(gaveUpAtMs! + p.appRegistrationTimeoutMs);
    }
  });

  it("driver: appRegistration timer after the third round: gives up, fails running jobs and exits 1", () => {
    const s = newDriver();
    submit(s, "j1", taskSet(2));
    timer(s, APP_REGISTRATION_TIMER, T0 + 20_000);
    timer(s, APP_REGISTRATION_TIMER, T0 + 40_000);
    const fx = timer(s, APP_REGISTRATION_TIMER, T0 + 60_000);
    expect(sends(fx, "RegisterApplication")).toHaveLength(0);
    expect(notes(fx, "jobFailed")).toEqual([{ kind: "jobFailed", jobId: "j1", reason: "All masters are unresponsive! Giving up." }]);
    expect(notes(fx, "appDead")).toEqual([{ kind: "appDead", reason: "All masters are unresponsive! Giving up." }]);
    expect(exits(fx)).toEqual([{ type: "exit", code: 1, reason: "All masters are unresponsive! Giving up." }]);
    expect(fx[fx.length - 1]!.type).toBe("exit");
    expect(s.phase).toBe("dead");
  });

  it("driver: appRegistration timer once registered: does nothing", () => {
    const s = registeredDriver();
    expect(timer(s, APP_REGISTRATION_TIMER, T0 + 20_000)).toEqual([]);
  });

  it("driver: RegisteredApplication: records the app id and master and tells the user", () => {
    const s = newDriver();
    const fx = deliver(s, MASTER, { type: "RegisteredApplication", appId: APP, masterAddress: MASTER });
    expect(s.appClient).toMatchObject({ appId: APP, registered: true, master: MASTER });
    expect(notes(fx, "appRegistered")).toEqual([{ kind: "appRegistered", appId: APP }]);
  });

  it("driver: a second RegisteredApplication overwrites the first (Spark's FIXME, §7 item 20) and logs it", () => {
    const s = registeredDriver({}, { masters: [MASTER, MASTER2] });
    const app2 = appId("app-20260101000020-0001");
    const fx = deliver(s, MASTER2, { type: "RegisteredApplication", appId: app2, masterAddress: MASTER2 });
    expect(s.appClient).toMatchObject({ appId: app2, master: MASTER2 });
    expect(fx).toContainEqual(
      expect.objectContaining({
        type: "log",
        event: "registeredApplicationAgain",
        fields: expect.objectContaining({ previousAppId: APP, appId: app2 }),
      }),
    );
    // The ghost id is what the driver now uses with the master.
    const un = command(s, { kind: "stopApplication" });
    expect(messagesOf(un, "UnregisterApplication")).toEqual([{ type: "UnregisterApplication", appId: app2 }]);
  });

  it("driver: ApplicationRemoved: markDead with the master's message, stops executors, exits 1", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    const fx = deliver(s, MASTER, { type: "ApplicationRemoved", message: "KILLED" });
    expect(notes(fx, "appDead")).toEqual([{ kind: "appDead", reason: "Master removed our application: KILLED" }]);
    expect(sends(fx, "StopExecutor")).toHaveLength(1);
    expect(exits(fx)).toEqual([expect.objectContaining({ code: 1 })]);
  });

  it("driver: markDead aborts every task set: running attempts are killed with 'Stage cancelled' before StopExecutor", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    const fx1 = submit(s, "j1", taskSet(3));
    expect(launched(fx1)).toHaveLength(2);
    const fx = deliver(s, MASTER, { type: "ApplicationRemoved", message: "FAILED" });
    const kills = messagesOf(fx, "KillTask");
    expect(kills.map((k) => k.reason)).toEqual(["Stage cancelled", "Stage cancelled"]);
    expect(notes(fx, "jobFailed")).toEqual([{ kind: "jobFailed", jobId: "j1", reason: "Master removed our application: FAILED" }]);
    const types = fx.filter((e) => e.type === "send").map((e) => (e.type === "send" ? e.message.type : ""));
    expect(types.lastIndexOf("KillTask")).toBeLessThan(types.indexOf("StopExecutor"));
  });

  it("driver: after death: a submitted job fails at once and other inputs are ignored", () => {
    const s = registeredDriver();
    deliver(s, MASTER, { type: "ApplicationRemoved", message: "KILLED" });
    const fx = submit(s, "late", taskSet(1));
    expect(notes(fx, "jobFailed")).toEqual([
      { kind: "jobFailed", jobId: "late", reason: "Driver has stopped: Master removed our application: KILLED" },
    ]);
    expect(ignoredWhy(deliver(s, MASTER, { type: "ApplicationRemoved", message: "again" }))).toEqual(["driver-stopped"]);
    expect(ignoredWhy(timer(s, REVIVE_TIMER))).toEqual(["driver-stopped"]);
  });

  it("driver: MasterChanged: switches master, re-arms the disconnect report and acknowledges with the app id", () => {
    const s = registeredDriver({}, { masters: [MASTER, MASTER2] });
    step(s, { type: "peerDisconnected", peer: MASTER });
    const fx = deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    expect(s.appClient).toMatchObject({ master: MASTER2, alreadyDisconnected: false });
    expect(sends(fx, "MasterChangeAcknowledged")).toEqual([
      { type: "send", to: MASTER2, message: { type: "MasterChangeAcknowledged", appId: APP } },
    ]);
  });

  it("driver: MasterChanged before any registration: ignored (nothing to acknowledge)", () => {
    const s = newDriver({}, { masters: [MASTER, MASTER2] });
    const fx = deliver(s, MASTER2, { type: "MasterChanged", masterAddress: MASTER2 });
    expect(ignoredWhy(fx)).toEqual(["not-registered"]);
    expect(s.appClient.master).toBeNull();
  });

  it("driver: the master's connection drops: reported once, nothing sent yet (the re-registration waits a grace: reregistration.test.ts); a second drop is ignored", () => {
    const s = registeredDriver();
    const fx = step(s, { type: "peerDisconnected", peer: MASTER });
    expect(fx).toContainEqual(expect.objectContaining({ type: "log", event: "masterDisconnected" }));
    expect(sends(fx)).toEqual([]);
    expect(s.appClient.alreadyDisconnected).toBe(true);
    expect(ignoredWhy(step(s, { type: "peerDisconnected", peer: MASTER }))).toEqual(["already-disconnected"]);
  });

  it("driver: a disconnect from an address that is neither the master nor an executor is ignored", () => {
    const s = registeredDriver();
    expect(ignoredWhy(step(s, { type: "peerDisconnected", peer: MASTER2 }))).toEqual(["unknown-peer"]);
  });

  it("driver: ExecutorAdded: logs and tells the user the host and cores", () => {
    const s = registeredDriver();
    const fx = deliver(s, MASTER, {
      type: "ExecutorAdded",
      execId: 3,
      workerId: workerId("w1"),
      hostPort: "host-3:7078",
      cores: 4,
      memoryMb: 1024,
    });
    expect(notes(fx, "executorAdded")).toEqual([{ kind: "executorAdded", executorId: "3", host: "host-3", cores: 4 }]);
  });

  it("driver: ExecutorAdded with a hostPort without port: the host is the whole string", () => {
    const s = registeredDriver();
    const fx = deliver(s, MASTER, {
      type: "ExecutorAdded",
      execId: 3,
      workerId: workerId("w1"),
      hostPort: "worker-3",
      cores: 4,
      memoryMb: 1024,
    });
    expect(notes(fx, "executorAdded")[0]!.host).toBe("worker-3");
  });

  it("driver: ExecutorUpdated with a non-finished state only logs", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    const fx = deliver(s, MASTER, { type: "ExecutorUpdated", execId: 1, state: "RUNNING" });
    expect(fx).toEqual([expect.objectContaining({ type: "log", event: "executorUpdated" })]);
    expect(s.backend.executors["1"]).toBeDefined();
  });

  it("driver: WorkerRemoved only logs (no shuffle outputs to drop)", () => {
    const s = registeredDriver();
    const fx = deliver(s, MASTER, { type: "WorkerRemoved", workerId: workerId("w1"), host: "h", message: "Not receiving heartbeat" });
    expect(fx).toEqual([expect.objectContaining({ type: "log", event: "workerRemoved" })]);
  });

  it("driver: RequestExecutorsResponse and KillExecutorsResponse only log", () => {
    const s = registeredDriver();
    expect(deliver(s, MASTER, { type: "RequestExecutorsResponse", appId: APP, acknowledged: true })).toEqual([
      expect.objectContaining({ type: "log", event: "masterAnswered" }),
    ]);
    expect(deliver(s, MASTER, { type: "KillExecutorsResponse", appId: APP, acknowledged: false })).toEqual([
      expect.objectContaining({ type: "log", event: "masterAnswered" }),
    ]);
  });

  it("driver: requestTotalExecutors: RequestExecutors to the master once registered, only a log before", () => {
    const s0 = newDriver();
    const before = command(s0, { kind: "requestTotalExecutors", total: 3 });
    expect(sends(before)).toEqual([]);
    expect(before).toContainEqual(expect.objectContaining({ event: "noMasterYet" }));
    const s = registeredDriver();
    const fx = command(s, { kind: "requestTotalExecutors", total: 3 });
    expect(sends(fx)).toEqual([{ type: "send", to: MASTER, message: { type: "RequestExecutors", appId: APP, requestedTotal: 3 } }]);
  });

  it("driver: stopApplication: fails running jobs, stops executors, unregisters, exits 0", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    submit(s, "j1", taskSet(8));
    const fx = command(s, { kind: "stopApplication" });
    expect(notes(fx, "jobFailed")).toEqual([
      { kind: "jobFailed", jobId: "j1", reason: "Job j1 cancelled because SparkContext was shut down" },
    ]);
    expect(sends(fx, "StopExecutor")).toHaveLength(1);
    expect(messagesOf(fx, "KillTask")).toEqual([]);
    expect(notes(fx, "appDead")).toEqual([{ kind: "appDead", reason: "Application has been stopped." }]);
    expect(sends(fx, "UnregisterApplication")).toEqual([
      { type: "send", to: MASTER, message: { type: "UnregisterApplication", appId: APP } },
    ]);
    expect(fx[fx.length - 1]).toEqual({ type: "exit", code: 0, reason: "Application has been stopped." });
    expect(s.phase).toBe("stopped");
  });

  it("driver: stopApplication before registration: nothing to unregister, still exits 0", () => {
    const s = newDriver();
    const fx = command(s, { kind: "stopApplication" });
    expect(sends(fx, "UnregisterApplication")).toEqual([]);
    expect(exits(fx)).toEqual([expect.objectContaining({ code: 0 })]);
  });

  it("driver: messages meant for other roles are ignored as unexpected", () => {
    const s = registeredDriver();
    expect(ignoredWhy(deliver(s, MASTER, { type: "MasterInStandby" }))).toEqual(["unexpected-message"]);
    expect(
      ignoredWhy(deliver(s, MASTER, { type: "KillTask", taskId: 1, executorId: "1" as never, interruptThread: false, reason: "x" })),
    ).toEqual(["unexpected-message"]);
  });

  it("driver: inputs of other roles and the worker's stop command are ignored", () => {
    const s = registeredDriver();
    expect(ignoredWhy(step(s, { type: "leadershipRevoked" }))).toEqual(["unexpected-input"]);
    expect(ignoredWhy(command(s, { kind: "stop" }))).toEqual(["unexpected-command"]);
  });

  it("driver: an unknown timer key is ignored", () => {
    const s = registeredDriver();
    expect(ignoredWhy(timer(s, "nope"))).toEqual(["unknown-timer"]);
  });
});
