import { describe, expect, it } from "vitest";
import { address } from "../../../src/protocol/ids.js";
import type { Message } from "../../../src/protocol/messages.js";
import { WORKER_SENDERS } from "../../../src/protocol/worker/authority.js";
import {
  APP,
  DRIVER,
  exits,
  fromPeer,
  ignoredReasons,
  launchDriver,
  launchExecutor,
  M1,
  M2,
  registeredMessage,
  registeredWorker,
  sent,
  startWorker,
  step,
  W,
} from "./fixtures.js";

/** Another worker: authenticated like everyone, a master of no one. */
const OTHER_WORKER = address("worker-2");

/** One message of each type the worker handles, as its rightful sender (M1) would send it. */
const HANDLED: Message[] = [
  registeredMessage(M1),
  { type: "RegisterWorkerFailed", message: "Duplicate worker ID" },
  { type: "MasterInStandby" },
  { type: "MasterChanged", masterAddress: M1 },
  { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" },
  { type: "ReconnectWorker", masterUrl: M1 },
  launchExecutor(),
  { type: "KillExecutor", masterUrl: M1, appId: APP, execId: 0 },
  launchDriver(),
  { type: "KillDriver", driverId: DRIVER },
  { type: "ApplicationFinished", appId: APP },
];

describe("worker: who may send what", () => {
  it("worker: the sender table covers every message the worker handles", () => {
    expect(HANDLED.map((m) => m.type).sort()).toEqual(Object.keys(WORKER_SENDERS).sort());
  });

  it("worker: each handled message from another worker: refused with the table's reason, state unchanged, nothing sent or launched", () => {
    for (const message of HANDLED) {
      const state = registeredWorker();
      step(state, fromPeer(M1, launchExecutor({ execId: 5 })));
      const before = JSON.stringify(state);
      // A MasterChanged names its sender (else it is refused as sender-address-mismatch first).
      const forged = message.type === "MasterChanged" ? { ...message, masterAddress: OTHER_WORKER } : message;
      const effects = step(state, fromPeer(OTHER_WORKER, forged));
      const why = WORKER_SENDERS[message.type] === "known-master" ? "not-from-known-master" : "not-from-active-master";
      expect(effects, message.type).toEqual([
        {
          type: "log",
          level: "warn",
          event: "ignored",
          fields: { why, type: message.type, from: OTHER_WORKER, expected: why === "not-from-known-master" ? [M1, M2] : [M1] },
        },
      ]);
      expect(JSON.stringify(state), message.type).toBe(before);
    }
  });

  it("worker: RegisteredWorker from a stranger while registering: refused, the worker follows no one and stays unregistered", () => {
    const { state } = startWorker();
    expect(ignoredReasons(step(state, fromPeer(OTHER_WORKER, registeredMessage(OTHER_WORKER))))).toEqual(["not-from-known-master"]);
    expect(state).toMatchObject({ registered: false, masterAddress: null, activeMasterUrl: null });
  });

  it("worker: RegisteredWorker from any configured master while registering: accepted (the standby M2 too)", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(M2, registeredMessage(M2)));
    expect(ignoredReasons(effects)).toEqual([]);
    expect(state).toMatchObject({ registered: true, masterAddress: M2 });
  });

  it("worker: RegisterWorkerFailed from a stranger: refused, the worker does not exit", () => {
    const { state } = startWorker();
    const effects = step(state, fromPeer(OTHER_WORKER, { type: "RegisterWorkerFailed", message: "go away" }));
    expect(ignoredReasons(effects)).toEqual(["not-from-known-master"]);
    expect(exits(effects)).toEqual([]);
  });

  it("worker: MasterChanged from a configured master naming another address: refused as sender-address-mismatch", () => {
    const state = registeredWorker();
    const elsewhere = address("elsewhere");
    const effects = step(state, fromPeer(M2, { type: "MasterChanged", masterAddress: elsewhere }));
    expect(effects).toEqual([
      {
        type: "log",
        level: "warn",
        event: "ignored",
        fields: { why: "sender-address-mismatch", type: "MasterChanged", from: M2, expected: [elsewhere] },
      },
    ]);
    expect(state.masterAddress).toBe(M1);
  });

  it("worker: after MasterChanged from the new leader, its orders count and the old master's are refused", () => {
    const state = registeredWorker();
    step(state, fromPeer(M2, { type: "MasterChanged", masterAddress: M2 }));
    expect(state.masterAddress).toBe(M2);
    expect(ignoredReasons(step(state, fromPeer(M1, launchDriver())))).toEqual(["not-from-active-master"]);
    expect(state.drivers).toEqual({});
    const effects = step(state, fromPeer(M2, launchDriver()));
    expect(effects.filter((e) => e.type === "launch")).toHaveLength(1);
    expect(Object.keys(state.drivers)).toEqual([DRIVER]);
  });

  it("worker: ApplicationFinished from another worker: refused, no directory is deleted", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(OTHER_WORKER, { type: "ApplicationFinished", appId: APP }));
    expect(ignoredReasons(effects)).toEqual(["not-from-active-master"]);
    expect(effects.filter((e) => e.type === "cleanupApp")).toEqual([]);
    expect(state.finishedApps).toEqual({});
  });

  it("worker: ApplicationFinished from the active master: the app's directories go", () => {
    const state = registeredWorker();
    expect(step(state, fromPeer(M1, { type: "ApplicationFinished", appId: APP }))).toEqual([{ type: "cleanupApp", appId: APP }]);
  });

  it("worker: ReconnectWorker from a stranger: refused, no re-registration", () => {
    const state = registeredWorker();
    const effects = step(state, fromPeer(OTHER_WORKER, { type: "ReconnectWorker", masterUrl: M1 }));
    expect(ignoredReasons(effects)).toEqual(["not-from-active-master"]);
    expect(sent(effects)).toEqual([]);
  });

  it("worker: a master configured by an alias (localhost) that announces another address takes the worker's orders by either name", () => {
    const alias = address("flint://localhost:7077");
    const announced = address("flint://127.0.0.1:7077");
    const { state } = startWorker({ masterAddresses: [alias] });
    step(state, fromPeer(alias, { type: "RegisteredWorker", masterAddress: announced, configuredMasterAddress: alias, duplicate: false }));
    expect(state.masterAddress).toBe(announced);
    step(state, fromPeer(alias, { ...launchExecutor(), masterUrl: announced }));
    expect(Object.keys(state.executors)).toEqual([`${APP}/0`]);
    expect(ignoredReasons(step(state, fromPeer(announced, { type: "KillExecutor", masterUrl: announced, appId: APP, execId: 0 })))).toEqual(
      [],
    );
    // A stranger is still refused.
    expect(ignoredReasons(step(state, fromPeer(OTHER_WORKER, { type: "ApplicationFinished", appId: APP })))).toEqual([
      "not-from-active-master",
    ]);
  });

  it("worker: a master reached through a configured proxy (SPARK-20529) counts as known and active", () => {
    const proxy = address("proxy-for-master-1");
    const { state } = startWorker({ masterAddresses: [proxy] });
    step(state, fromPeer(proxy, { type: "RegisteredWorker", masterAddress: M1, configuredMasterAddress: proxy, duplicate: false }));
    step(state, fromPeer(M1, launchExecutor()));
    expect(Object.keys(state.executors)).toEqual([`${APP}/0`]);
    // Its answer to the executor report is taken: the pending report is settled.
    step(state, { type: "processLaunched", process: { kind: "executor", appId: APP, execId: 0 } });
    expect(Object.keys(state.pendingExecutorStateSyncs)).toEqual([`${APP}/0`]);
    expect(
      ignoredReasons(step(state, fromPeer(M1, { type: "ExecutorStateChangedResponse", appId: APP, execId: 0, state: "RUNNING" }))),
    ).toEqual([]);
    expect(state.pendingExecutorStateSyncs).toEqual({});
    // Another worker is still no master.
    expect(ignoredReasons(step(state, fromPeer(OTHER_WORKER, { type: "MasterInStandby" })))).toEqual(["not-from-known-master"]);
    expect(state.address).toBe(W);
  });
});
