import { describe, expect, it } from "vitest";
import { CHECK_WORKER_TIMEOUT_TIMER } from "../../../src/protocol/master/index.js";
import { masterSnapshot } from "../../../src/real/snapshot.js";
import { formatStatus } from "../../../src/cli/commands/status.js";
import { addApp, addWorker, aliveMaster, deliver, driverAddr, step, T0, wid } from "../../protocol/master/fixtures.js";

describe("flint status snapshot", () => {
  it("a DEAD worker shows no cores, memory, executors or drivers in use", () => {
    const s = aliveMaster({ workerTimeoutMs: 1000 });
    addWorker(s, 1, 4);
    addWorker(s, 2, 4);
    addApp(s, 1, { coresPerExecutor: 2, maxCores: 4 });
    expect(s.workers[wid(1)]!.coresUsed).toBeGreaterThan(0);
    // worker-2 keeps heartbeating; worker-1 is silent past the timeout.
    deliver(s, "worker-2", { type: "Heartbeat", workerId: wid(2), workerAddress: "worker-2" as never }, T0 + 5000);
    step(s, { type: "timer", key: CHECK_WORKER_TIMEOUT_TIMER }, T0 + 5000);
    expect(s.workers[wid(1)]!.state).toBe("DEAD");
    const snap = masterSnapshot(s, T0 + 5000);
    const dead = snap.workers.find((w) => w.id === wid(1))!;
    expect(dead).toMatchObject({ state: "DEAD", cores: 4, coresUsed: 0, memoryUsed: 0, executors: 0, drivers: 0 });
    const alive = snap.workers.find((w) => w.id === wid(2))!;
    expect(alive.state).toBe("ALIVE");
    expect(alive.executors).toBeGreaterThan(0);
    expect(formatStatus(snap)).toMatch(/worker-id-1 +worker-1 +DEAD +0\/4 +0\/16384 MiB +0 /);
  });

  it("a completed app keeps its submit time, duration, final state and the workers it ran on", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    addWorker(s, 2, 2);
    const { id } = addApp(s, 1, { coresPerExecutor: 2, maxCores: 4 });
    deliver(s, driverAddr(1), { type: "UnregisterApplication", appId: id }, T0 + 7500);
    const snap = masterSnapshot(s, T0 + 9000);
    expect(snap.completedApps).toEqual([
      { id, name: "app", state: "FINISHED", startTimeMs: T0, endTimeMs: T0 + 7500, durationMs: 7500, workerIds: expect.any(Array) },
    ]);
    expect([...snap.completedApps[0]!.workerIds].sort()).toEqual([wid(1), wid(2)]);
    const text = formatStatus(snap);
    expect(text).toContain("2026-01-01 00:00:00");
    expect(text).toContain("7.5 s");
    expect(text).toContain(`ran on ${snap.completedApps[0]!.workerIds.join(",")}`);
  });

  it("a completed driver shows the worker it ran on and its duration", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const submitted = deliver(s, "client", {
      type: "RequestSubmitDriver",
      desc: { cores: 1, memoryMb: 512, supervise: false, command: {} },
    });
    const reply = submitted.find((e) => e.type === "send" && e.message.type === "SubmitDriverResponse");
    const driverId = reply?.type === "send" && reply.message.type === "SubmitDriverResponse" ? reply.message.driverId! : undefined;
    expect(driverId).toBeDefined();
    deliver(s, "worker-1", { type: "DriverStateChanged", driverId: driverId!, state: "FAILED", exception: "boom" }, T0 + 3000);
    const snap = masterSnapshot(s, T0 + 4000);
    expect(snap.completedDrivers).toEqual([
      { id: driverId, state: "FAILED", exception: "boom", workerId: wid(1), startTimeMs: T0, endTimeMs: T0 + 3000, durationMs: 3000 },
    ]);
    expect(formatStatus(snap)).toMatch(new RegExp(`${driverId} +FAILED +${wid(1)} `));
  });
});
