/** The metrics observers, driven through the real reducers (no process). */
import { describe, expect, it } from "vitest";
import { master } from "../../../src/protocol/master/index.js";
import { worker } from "../../../src/protocol/worker/index.js";
import type { Input } from "../../../src/protocol/io.js";
import { masterMetrics, observeRole, workerMetrics } from "../../../src/real/web/metrics.js";
import { addWorker, aliveMaster, T0, wid } from "../../protocol/master/fixtures.js";
import { executorRef, fromPeer, launchExecutor, M1, registeredWorker } from "../../protocol/worker/fixtures.js";
import { parsePrometheus, sampleValue } from "./prometheus.js";
import { CHECK_WORKER_TIMEOUT_TIMER } from "../../../src/protocol/master/index.js";

describe("metrics observers", () => {
  it("master: executors launched, then LOST with their worker; workers and cores by state", async () => {
    const s = aliveMaster({ workerTimeoutMs: 1000 });
    const metrics = masterMetrics(() => s);
    const observed = observeRole(master, metrics.observe);
    const step = (input: Input, now = T0) => observed.step(s, input, { now });
    step({
      type: "message",
      from: "worker-1" as never,
      message: {
        type: "RegisterWorker",
        workerId: wid(1),
        host: "h",
        port: 1,
        workerAddress: "worker-1" as never,
        cores: 4,
        memoryMb: 4096,
        masterAddress: s.address,
      },
    });
    addWorker(s, 2, 4);
    step({
      type: "message",
      from: "driver-1" as never,
      message: {
        type: "RegisterApplication",
        appDesc: { name: "a", memoryPerExecutorMb: 512, coresPerExecutor: 2, maxCores: 2, command: {} },
        driverAddress: "driver-1" as never,
      },
    });
    let samples = parsePrometheus(await metrics.registry.metrics());
    expect(sampleValue(samples, "flint_master_executors_launched_total")).toBe(1);
    expect(sampleValue(samples, "flint_master_cores", { kind: "used" })).toBe(2);
    expect(sampleValue(samples, "flint_master_apps", { state: "RUNNING" })).toBe(1); // RUNNING once an executor is launched for it (Spark 3.x)
    // Only worker-2 heartbeats; worker-1 times out, and its executor is told LOST to the driver.
    const holder = Object.values(s.apps)[0]!.executors["0"]!.workerId;
    const other = holder === wid(1) ? 2 : 1;
    step(
      {
        type: "message",
        from: `worker-${other}` as never,
        message: { type: "Heartbeat", workerId: wid(other), workerAddress: `worker-${other}` as never },
      },
      T0 + 5000,
    );
    if (holder !== wid(1)) {
      // Make the executor's holder the one that times out.
      s.workers[wid(1)]!.lastHeartbeatMs = T0 + 5000;
      s.workers[holder]!.lastHeartbeatMs = T0;
    }
    step({ type: "timer", key: CHECK_WORKER_TIMEOUT_TIMER }, T0 + 5000);
    samples = parsePrometheus(await metrics.registry.metrics());
    expect(sampleValue(samples, "flint_master_executors_ended_total", { state: "LOST" })).toBe(1);
    expect(sampleValue(samples, "flint_master_workers", { state: "DEAD" })).toBe(1);
    expect(sampleValue(samples, "flint_master_workers", { state: "ALIVE" })).toBe(1);
  });

  it("master: recovery duration from election to ALIVE; store writes timed", async () => {
    const s = master.init({ address: "master-1" as never, protocol: aliveMaster().config, seed: 1 }, { now: T0 }).state;
    const metrics = masterMetrics(() => s);
    const observed = observeRole(master, metrics.observe);
    observed.step(s, { type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } }, { now: T0 + 250 });
    await metrics.timeStoreWrite(async () => undefined);
    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(sampleValue(samples, "flint_master_recovery_duration_seconds")).toBe(0);
    expect(sampleValue(samples, "flint_master_store_write_seconds_count")).toBe(1);
    expect(sampleValue(samples, "flint_master_alive")).toBe(1);
  });

  it("worker: an executor launched and one that exits are counted, by final state", async () => {
    const s = registeredWorker();
    const metrics = workerMetrics(() => s);
    const observed = observeRole(worker, metrics.observe, metrics.before);
    observed.step(s, fromPeer(M1, launchExecutor()), { now: 1 });
    let samples = parsePrometheus(await metrics.registry.metrics());
    expect(sampleValue(samples, "flint_worker_executors_launched_total")).toBe(1);
    expect(sampleValue(samples, "flint_worker_executors")).toBe(1);
    expect(sampleValue(samples, "flint_worker_cores", { kind: "used" })).toBe(2);
    observed.step(s, { type: "processExited", process: executorRef(), exitCode: 1 } as Input, { now: 2 });
    samples = parsePrometheus(await metrics.registry.metrics());
    expect(sampleValue(samples, "flint_worker_executors")).toBe(0);
    // Spark's ExecutorRunner: a process that exits by itself is EXITED, with its code.
    expect(s.finishedExecutors.map((e) => [e.state, e.exitStatus])).toEqual([["EXITED", 1]]);
    expect(sampleValue(samples, "flint_worker_executors_ended_total", { state: "EXITED" })).toBe(1);
    expect(sampleValue(samples, "flint_worker_executors_ended_total", { state: "FAILED" })).toBe(0);
  });
});
