/** Named limits on what grows with outside input (maxWorkers, maxApplications, maxDrivers, retained*). */
import { describe, expect, it } from "vitest";
import type { DriverId, Message } from "../../../src/protocol/index.js";
import { addApp, addWorker, aliveMaster, deliver, driverAddr, messagesOf, wid, workerAddr } from "./fixtures.js";

const submit: Message = { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 256, supervise: false, command: {} } };

describe("master: limits", () => {
  it("maxWorkers: a new worker beyond it is refused naming the limit; a known one still registers as a duplicate", () => {
    const s = aliveMaster({ maxWorkers: 2 });
    addWorker(s, 1);
    addWorker(s, 2);
    const fx = addWorker(s, 3);
    expect(messagesOf(fx, "RegisterWorkerFailed")).toEqual([
      { type: "RegisterWorkerFailed", message: "The master already has 2 workers (maxWorkers)" },
    ]);
    expect(Object.keys(s.workers)).toEqual([wid(1), wid(2)]);
    expect(messagesOf(addWorker(s, 2), "RegisteredWorker")).toMatchObject([{ duplicate: true }]);
  });

  it("maxApplications: a registration beyond it is answered ApplicationRemoved naming the limit and nothing is kept", () => {
    const s = aliveMaster({ maxApplications: 1 });
    addWorker(s, 1);
    addApp(s, 1);
    const fx = deliver(s, driverAddr(2), {
      type: "RegisterApplication",
      appDesc: { name: "b", memoryPerExecutorMb: 512, command: {} },
      driverAddress: driverAddr(2),
    });
    expect(messagesOf(fx, "ApplicationRemoved")).toEqual([
      { type: "ApplicationRemoved", message: "The master already runs 1 applications (maxApplications)" },
    ]);
    expect(Object.keys(s.apps)).toHaveLength(1);
    expect(s.addressToApp[driverAddr(2)]).toBeUndefined();
  });

  it("maxDrivers: a submission beyond it is refused naming the limit; once a driver ends, one more is accepted", () => {
    const s = aliveMaster({ maxDrivers: 1 });
    addWorker(s, 1);
    const first = messagesOf(deliver(s, "client", submit), "SubmitDriverResponse")[0]!;
    expect(first.success).toBe(true);
    expect(messagesOf(deliver(s, "client", submit), "SubmitDriverResponse")).toMatchObject([
      { success: false, message: "The master already has 1 active drivers (maxDrivers)" },
    ]);
    deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: first.driverId as DriverId, state: "FINISHED" });
    expect(messagesOf(deliver(s, "client", submit), "SubmitDriverResponse")).toMatchObject([{ success: true }]);
  });

  it("retainedDrivers: the finished drivers kept stay at most the limit (the oldest tenth goes)", () => {
    const s = aliveMaster({ retainedDrivers: 10 });
    for (let i = 0; i < 25; i++) {
      const r = messagesOf(deliver(s, "client", submit), "SubmitDriverResponse")[0]!;
      deliver(s, "client", { type: "RequestKillDriver", driverId: r.driverId as DriverId });
      expect(s.completedDrivers.length).toBeLessThanOrEqual(10);
    }
    expect(s.completedDrivers.length).toBeGreaterThan(0);
  });
});
