import { describe, expect, it } from "vitest";
import type { DriverDescription, DriverId, Message } from "../../../src/protocol/index.js";
import { addWorker, aliveMaster, deliver, ignoredWhy, messagesOf, newMaster, step, T0, wid, workerAddr } from "./fixtures.js";

const desc = (supervise = false): DriverDescription => ({ cores: 1, memoryMb: 1024, supervise, command: { main: "x" } });

function submit(s: ReturnType<typeof aliveMaster>, supervise = false) {
  const fx = deliver(s, "client", { type: "RequestSubmitDriver", desc: desc(supervise) });
  const reply = messagesOf(fx, "SubmitDriverResponse")[0]!;
  return { fx, reply, id: reply.driverId as DriverId };
}

describe("master: RequestSubmitDriver", () => {
  it("not ALIVE: refused with Spark's message", () => {
    const s = newMaster();
    const { reply } = submit(s as never);
    expect(reply).toMatchObject({
      success: false,
      message: "Current state is not alive: STANDBY. Can only accept driver submissions in ALIVE state.",
    });
  });

  it("ALIVE: persisted, launched on a worker with room, answered with the id", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const { fx, reply, id } = submit(s);
    expect(reply).toMatchObject({ success: true, message: `Driver successfully submitted as ${id}` });
    expect(id).toBe("driver-20260101000000-0000");
    expect(fx).toContainEqual(expect.objectContaining({ type: "persist", key: `driver_${id}` }));
    expect(messagesOf(fx, "LaunchDriver")).toEqual([{ type: "LaunchDriver", driverId: id, desc: desc() }]);
    expect(s.drivers[id]).toMatchObject({ state: "RUNNING", workerId: wid(1) });
    expect(s.workers[wid(1)]).toMatchObject({ coresUsed: 1, memoryUsed: 1024 });
  });

  it("no worker with room: the driver waits", () => {
    const s = aliveMaster();
    const { id } = submit(s);
    expect(s.waitingDrivers).toEqual([id]);
    const fx = addWorker(s, 1, 2);
    expect(messagesOf(fx, "LaunchDriver")).toHaveLength(1);
    expect(s.waitingDrivers).toEqual([]);
  });
});

describe("master: DriverStateChanged", () => {
  it("a final state removes the driver and frees its worker", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const { id } = submit(s);
    const fx = deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: id, state: "FINISHED" });
    expect(s.drivers[id]).toBeUndefined();
    expect(s.completedDrivers).toEqual([{ id, state: "FINISHED", exception: undefined, workerId: wid(1), startTimeMs: T0, endTimeMs: T0 }]);
    expect(s.workers[wid(1)]!.coresUsed).toBe(0);
    expect(fx).toContainEqual({ type: "unpersist", key: `driver_${id}` });
  });

  it("a non-final state is ignored (Spark throws)", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: "d" as DriverId, state: "RUNNING" });
    expect(ignoredWhy(fx)).toEqual(["unexpected-driver-state"]);
  });

  it("an unknown driver is ignored", () => {
    const s = aliveMaster();
    const fx = deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: "d" as DriverId, state: "FAILED" });
    expect(ignoredWhy(fx)).toEqual(["unknown-driver"]);
  });
});

describe("master: RequestKillDriver and RequestDriverStatus", () => {
  it("kills a waiting driver at once", () => {
    const s = aliveMaster();
    const { id } = submit(s);
    const fx = deliver(s, "client", { type: "RequestKillDriver", driverId: id });
    expect(messagesOf(fx, "KillDriverResponse")[0]).toMatchObject({ success: true, message: `Kill request for ${id} submitted` });
    expect(s.completedDrivers[0]).toMatchObject({ id, state: "KILLED" });
    expect(s.waitingDrivers).toEqual([]);
  });

  it("asks the worker to kill a running driver; bookkeeping waits for its report", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const { id } = submit(s);
    const fx = deliver(s, "client", { type: "RequestKillDriver", driverId: id });
    expect(messagesOf(fx, "KillDriver")).toEqual([{ type: "KillDriver", driverId: id }]);
    expect(s.drivers[id]).toBeDefined();
  });

  it("an unknown driver, or a master not ALIVE: failure replies", () => {
    const s = aliveMaster();
    const fx = deliver(s, "client", { type: "RequestKillDriver", driverId: "nope" as DriverId });
    expect(messagesOf(fx, "KillDriverResponse")[0]).toMatchObject({
      success: false,
      message: "Driver nope has already finished or does not exist",
    });
    const standby = newMaster();
    const fx2 = deliver(standby as never, "client", { type: "RequestKillDriver", driverId: "nope" as DriverId });
    expect(messagesOf(fx2, "KillDriverResponse")[0]!.success).toBe(false);
  });

  it("status of running, completed and unknown drivers", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const { id } = submit(s);
    const status = (driverId: string) =>
      messagesOf(deliver(s, "client", { type: "RequestDriverStatus", driverId: driverId as DriverId }), "DriverStatusResponse")[0];
    expect(status(id)).toMatchObject({ found: true, state: "RUNNING", workerId: wid(1), workerHostPort: "host-1:7001" });
    deliver(s, workerAddr(1), { type: "DriverStateChanged", driverId: id, state: "FAILED", exception: "boom" });
    expect(status(id)).toMatchObject({ found: true, state: "FAILED", exception: "boom" });
    expect(status("nope")).toEqual({ type: "DriverStatusResponse", found: false });
    const standby = newMaster();
    const fx = deliver(standby as never, "client", { type: "RequestDriverStatus", driverId: id });
    expect(messagesOf(fx, "DriverStatusResponse")[0]).toMatchObject({ found: false });
  });
});

describe("master: drivers on a lost worker", () => {
  it("a supervised driver is relaunched under a fresh id (I12, SPARK-19900)", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    addWorker(s, 2, 2);
    const { id } = submit(s, true);
    const hostWorker = s.drivers[id]!.workerId!;
    const addr = s.workers[hostWorker]!.address;
    const fx = step(s, { type: "peerDisconnected", peer: addr });
    const relaunch = messagesOf(fx, "LaunchDriver");
    expect(relaunch).toHaveLength(1);
    expect(relaunch[0]!.driverId).not.toBe(id);
    expect(s.completedDrivers[0]).toMatchObject({ id, state: "RELAUNCHING" });
    // A late report for the old id cannot remove the new driver.
    deliver(s, addr, { type: "DriverStateChanged", driverId: id, state: "FAILED" });
    expect(s.drivers[relaunch[0]!.driverId]).toBeDefined();
  });

  it("with the SPARK-19900 bug on: the relaunched driver keeps its id, and a late report removes it", () => {
    const s = aliveMaster({ bugs: ["SPARK-19900"] });
    addWorker(s, 1, 2);
    addWorker(s, 2, 2);
    const { id } = submit(s, true);
    const addr = s.workers[s.drivers[id]!.workerId!]!.address;
    const fx = step(s, { type: "peerDisconnected", peer: addr });
    expect(messagesOf(fx, "LaunchDriver")[0]!.driverId).toBe(id);
    deliver(s, addr, { type: "DriverStateChanged", driverId: id, state: "FAILED" } as Message);
    expect(s.drivers[id]).toBeUndefined();
  });

  it("an unsupervised driver is removed as ERROR", () => {
    const s = aliveMaster();
    addWorker(s, 1, 2);
    const { id } = submit(s);
    step(s, { type: "peerDisconnected", peer: workerAddr(1) });
    expect(s.completedDrivers[0]).toMatchObject({ id, state: "ERROR" });
  });
});
