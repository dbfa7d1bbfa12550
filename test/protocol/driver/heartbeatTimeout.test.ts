/** The HeartbeatReceiver's timeout, fixed (3.0+) and with the SPARK-27348 museum switch on ([2.3]). */
import { describe, expect, it } from "vitest";
import { EXPIRE_DEAD_HOSTS_TIMER } from "../../../src/protocol/driver/index.js";
import {
  addExecutor,
  eid,
  execAddr,
  launched,
  logEvents,
  MASTER,
  messagesOf,
  notes,
  registeredDriver,
  running,
  sends,
  step,
  submit,
  T0,
  taskSet,
  timer,
} from "./fixtures.js";

/** One 2-core executor running the only task of a job: one core stays free. */
function silentExecutorWithATask(bugs: string[]) {
  const s = registeredDriver({ bugs });
  addExecutor(s, 1, 2);
  const [task] = launched(submit(s, "j1", taskSet(1)));
  running(s, task!);
  return { s, task: task! };
}

describe("driver: heartbeat timeout (§1.7, docs/protocol.md §7 item 17)", () => {
  it("driver: expireDeadHosts (3.0+): the DriverEndpoint removes the executor at once, so its free core is not offered the failed task", () => {
    const { s, task } = silentExecutorWithATask([]);
    const fx = timer(s, EXPIRE_DEAD_HOSTS_TIMER, T0 + 120_001);
    expect(s.backend.executors["1"]).toBeUndefined();
    expect(launched(fx)).toEqual([]);
    expect(sends(fx).map((e) => [e.to, e.message.type])).toEqual([
      [MASTER, "KillExecutors"],
      [execAddr(1), "StopExecutor"],
    ]);
    expect(notes(fx, "executorRemoved")).toHaveLength(1);
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[task.index]).toBe(1);
  });

  it("driver: expireDeadHosts with SPARK-27348 [2.3]: executorLost directly; the DriverEndpoint keeps the executor and offers it the failed task before the kill", () => {
    const { s, task } = silentExecutorWithATask(["SPARK-27348"]);
    const fx = timer(s, EXPIRE_DEAD_HOSTS_TIMER, T0 + 120_001);
    expect(logEvents(fx)).toContain("executorHeartbeatTimedOut");
    // The scheduler failed the attempt (a counted failure) ...
    expect(s.scheduler.taskSets["j1.0.0"]!.numFailures[task.index]).toBe(1);
    // ... but the DriverEndpoint never heard: no StopExecutor, no removal, and the retry goes to the same executor.
    const retries = launched(fx);
    expect(retries).toEqual([expect.objectContaining({ executorId: eid(1), index: task.index, attemptNumber: 1 })]);
    expect(sends(fx).map((e) => [e.to, e.message.type])).toEqual([
      [execAddr(1), "LaunchTask"],
      [MASTER, "KillExecutors"],
    ]);
    expect(messagesOf(fx, "StopExecutor")).toEqual([]);
    expect(notes(fx, "executorRemoved")).toEqual([]);
    expect(s.backend.executors["1"]).toBeDefined();
    expect(s.backend.executorsPendingToRemove).toEqual({ "1": false });
    expect(s.heartbeats.executorLastSeenMs).toEqual({});
    // Only the disconnect cleans up the DriverEndpoint's maps, and then the retry fails too.
    const gone = step(s, { type: "peerDisconnected", peer: execAddr(1) }, T0 + 130_000);
    expect(s.backend.executors["1"]).toBeUndefined();
    expect(notes(gone, "executorRemoved")).toEqual([expect.objectContaining({ executorId: "1" })]);
  });

  it("driver: expireDeadHosts with SPARK-27348 and nobody silent changes nothing but the re-arm", () => {
    const { s } = silentExecutorWithATask(["SPARK-27348"]);
    expect(timer(s, EXPIRE_DEAD_HOSTS_TIMER, T0 + 60_000)).toEqual([{ type: "setTimer", key: EXPIRE_DEAD_HOSTS_TIMER, afterMs: 60_000 }]);
  });
});
