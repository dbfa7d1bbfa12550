import { describe, expect, it } from "vitest";
import { DRIVER_SENDERS } from "../../../src/protocol/driver/authority.js";
import type { Message } from "../../../src/protocol/index.js";
import {
  addExecutor,
  address,
  APP,
  deliver,
  eid,
  execAddr,
  exits,
  ignoredWhy,
  launched,
  MASTER,
  MASTER2,
  newDriver,
  registeredDriver,
  sends,
  submit,
  taskSet,
} from "./fixtures.js";

const refusedAs = (why: string, type: Message["type"], from: string, expected: string[]) => ({
  type: "log",
  level: "warn",
  event: "ignored",
  fields: { why, type, from, expected },
});

/** A driver with executors 1 and 2 (one core each) running one task each; returns the tasks. */
function running2() {
  const s = registeredDriver();
  addExecutor(s, 1, 1);
  addExecutor(s, 2, 1);
  const tasks = launched(submit(s, "j", taskSet(2)));
  expect(tasks.map((t) => t.executorId).sort()).toEqual([eid(1), eid(2)]);
  return { s, tasks };
}

describe("driver: who may send what", () => {
  it("driver: the sender table covers every message the driver handles", () => {
    expect(Object.keys(DRIVER_SENDERS).sort()).toEqual(
      [
        "RegisteredApplication",
        "ApplicationRemoved",
        "ExecutorAdded",
        "ExecutorUpdated",
        "WorkerRemoved",
        "MasterChanged",
        "RequestExecutorsResponse",
        "KillExecutorsResponse",
        "RegisterExecutor",
        "LaunchedExecutor",
        "StatusUpdate",
        "RemoveExecutor",
        "ExecutorHeartbeat",
      ].sort(),
    );
  });

  it("driver: RegisteredApplication from a stranger: refused as not-from-known-master, not registered", () => {
    const s = newDriver();
    const fx = deliver(s, execAddr(1), { type: "RegisteredApplication", appId: APP, masterAddress: execAddr(1) });
    expect(fx).toEqual([refusedAs("not-from-known-master", "RegisteredApplication", execAddr(1), [MASTER])]);
    expect(s.appClient).toMatchObject({ registered: false, appId: null, master: null });
  });

  it("driver: ApplicationRemoved and ExecutorUpdated from an executor: refused, the driver lives and keeps its executor", () => {
    const s = registeredDriver();
    addExecutor(s, 1);
    const removed = deliver(s, execAddr(1), { type: "ApplicationRemoved", message: "KILLED" });
    expect(ignoredWhy(removed)).toEqual(["not-from-known-master"]);
    expect(exits(removed)).toEqual([]);
    expect(s.phase).toBe("running");
    const updated = deliver(s, execAddr(1), { type: "ExecutorUpdated", execId: 1, state: "EXITED", exitStatus: 1 });
    expect(ignoredWhy(updated)).toEqual(["not-from-known-master"]);
    expect(s.backend.executors[eid(1)]).toBeDefined();
  });

  it("driver: MasterChanged from a configured master naming another address: refused as sender-address-mismatch", () => {
    const s = registeredDriver({}, { masters: [MASTER, MASTER2] });
    const fx = deliver(s, MASTER2, { type: "MasterChanged", masterAddress: execAddr(1) });
    expect(fx).toEqual([refusedAs("sender-address-mismatch", "MasterChanged", MASTER2, [execAddr(1)])]);
    expect(s.appClient.master).toBe(MASTER);
  });

  it("driver: RegisterExecutor naming another address than its sender's: refused as sender-address-mismatch", () => {
    const s = registeredDriver();
    const fx = deliver(s, execAddr(2), {
      type: "RegisterExecutor",
      executorId: eid(1),
      executorAddress: execAddr(1),
      hostname: "h",
      cores: 2,
    });
    expect(fx).toEqual([refusedAs("sender-address-mismatch", "RegisterExecutor", execAddr(2), [execAddr(1)])]);
    expect(s.backend.executors).toEqual({});
  });

  it("driver: an executor's messages from another executor's address: refused as not-from-executor", () => {
    const { s, tasks } = running2();
    const onOne = tasks.find((t) => t.executorId === eid(1))!;
    const messages: Message[] = [
      {
        type: "StatusUpdate",
        executorId: eid(1),
        taskId: onOne.taskId,
        state: "FINISHED",
        data: { kind: "result", value: "forged", sizeBytes: 1 },
        taskCpus: 1,
      },
      { type: "RemoveExecutor", executorId: eid(1), reason: "forged" },
      { type: "ExecutorHeartbeat", executorId: eid(1) },
      { type: "LaunchedExecutor", executorId: eid(1) },
    ];
    for (const message of messages) {
      const before = JSON.stringify(s);
      const fx = deliver(s, execAddr(2), message);
      expect(fx, message.type).toEqual([refusedAs("not-from-executor", message.type, execAddr(2), [execAddr(1)])]);
      expect(JSON.stringify(s), message.type).toBe(before);
    }
  });

  it("driver: a StatusUpdate in its own name for a task running on another executor: refused as task-on-another-executor", () => {
    const { s, tasks } = running2();
    const onOne = tasks.find((t) => t.executorId === eid(1))!;
    const before = JSON.stringify(s);
    const fx = deliver(s, execAddr(2), {
      type: "StatusUpdate",
      executorId: eid(2),
      taskId: onOne.taskId,
      state: "FINISHED",
      data: { kind: "result", value: "forged", sizeBytes: 1 },
      taskCpus: 1,
    });
    expect(ignoredWhy(fx)).toEqual(["task-on-another-executor"]);
    expect(sends(fx)).toEqual([]);
    expect(JSON.stringify(s)).toBe(before);
  });

  it("driver: a master reached through a configured proxy is known: its messages after registration count", () => {
    const proxy = address("proxy-for-master-1");
    const s = newDriver({}, { masters: [proxy] });
    deliver(s, proxy, { type: "RegisteredApplication", appId: APP, masterAddress: MASTER });
    expect(s.appClient).toMatchObject({ registered: true, master: MASTER });
    expect(ignoredWhy(deliver(s, MASTER, { type: "WorkerRemoved", workerId: "w" as never, host: "h", message: "gone" }))).toEqual([]);
  });
});
