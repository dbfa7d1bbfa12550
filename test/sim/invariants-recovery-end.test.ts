/**
 * M7 (how a master's recovery ends): it stays
 * quiet on the real master's steps and fires on a broken history fed to it.
 */
import { describe, expect, it } from "vitest";
import { address, type AppId, type DriverId, type Effect, type Input, type Message, type StoredRecords } from "../../src/protocol/index.js";
import type { MasterState } from "../../src/protocol/master/state.js";
import { checkRecoveryEnd, M7, newRecoveryEndLedger, type RecoveryEndLedger } from "../../src/sim/invariants/master-recovery-end.js";
import { appDesc, driverAddr, newMaster, step, T0, wid, workerAddr } from "../protocol/master/fixtures.js";
import { masterStepView } from "./helpers.js";

const APP = "app-20251231000000-0000" as AppId;
const PLACED = "driver-20251231000000-0001" as DriverId;
const PLAIN = "driver-20251231000000-0002" as DriverId;
const SUPERVISED = "driver-20251231000000-0003" as DriverId;
const driverDesc = (supervise: boolean) => ({ cores: 1, memoryMb: 512, supervise, command: {} });

/** One app, two workers and three drivers in the store: worker 1 runs PLACED; no worker reports PLAIN or SUPERVISED. */
const STORED: StoredRecords = {
  apps: [{ id: APP, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }],
  drivers: [
    { id: PLACED, desc: driverDesc(false), startTimeMs: T0 - 1000 },
    { id: PLAIN, desc: driverDesc(false), startTimeMs: T0 - 1000 },
    { id: SUPERVISED, desc: driverDesc(true), startTimeMs: T0 - 1000 },
  ],
  workers: [1, 2].map((n) => ({ id: wid(n), host: `host-${n}`, port: 7000 + n, address: workerAddr(n), cores: 4, memoryMb: 8192 })),
};

const msg = (from: string, message: Message): Input => ({ type: "message", from: address(from), message });
const schedulerState = (n: number, driverIds: DriverId[]): Input =>
  msg(workerAddr(n), { type: "WorkerSchedulerStateResponse", workerId: wid(n), executors: [], driverIds });
const acknowledged = msg(driverAddr(1), { type: "MasterChangeAcknowledged", appId: APP });

/** Judges one step (the master's state after it, its input and effects) with M7; returns the checks that fired. */
function judge(s: MasterState, input: Input | null, effects: readonly Effect[], ledger: RecoveryEndLedger): string[] {
  const fired: string[] = [];
  const v = masterStepView(s, input, effects, fired);
  checkRecoveryEnd(v, ledger);
  return fired;
}

/** Steps the real master and judges the step. */
function stepAndJudge(s: MasterState, input: Input, ledger: RecoveryEndLedger, now = T0): string[] {
  return judge(s, input, step(s, input, now), ledger);
}

/** A master elected with STORED, after the answers of worker 1 (reporting PLACED) and of the app: it waits for worker 2. */
function waitingForWorker2(): { s: MasterState; ledger: RecoveryEndLedger } {
  const s = newMaster();
  const ledger = newRecoveryEndLedger();
  expect(stepAndJudge(s, { type: "leaderElected", stored: STORED }, ledger)).toEqual([]);
  expect(stepAndJudge(s, schedulerState(1, [PLACED]), ledger)).toEqual([]);
  expect(stepAndJudge(s, acknowledged, ledger)).toEqual([]);
  expect(s.recoveryState).toBe("RECOVERING");
  return { s, ledger };
}

const endedAs = (s: MasterState, id: DriverId) => s.completedDrivers.find((d) => d.id === id)?.state;

describe("M7: how recovery ends", () => {
  it("M7: the real master, completing on the last answer and on its timer, passes", () => {
    const early = waitingForWorker2();
    expect(stepAndJudge(early.s, schedulerState(2, []), early.ledger)).toEqual([]);
    expect(early.s.recoveryState).toBe("ALIVE");
    expect(early.s.drivers[PLACED]!.workerId).toBe(wid(1));
    expect(endedAs(early.s, PLAIN)).toBe("ERROR");
    expect(endedAs(early.s, SUPERVISED)).toBe("RELAUNCHING");
    const late = waitingForWorker2();
    expect(stepAndJudge(late.s, { type: "timer", key: "completeRecovery" }, late.ledger, T0 + 60_000)).toEqual([]);
    expect(late.s.workers[wid(2)]?.state ?? "gone").not.toBe("UNKNOWN");
  });

  it("M7: a recovery completed on another peer's message, dropping a worker that had not answered, fires", () => {
    const { s, ledger } = waitingForWorker2();
    // A master that gave up on worker 2 when worker 1 heartbeated (its timer had not fired).
    const input = msg(workerAddr(1), { type: "Heartbeat", workerId: wid(1), workerAddress: workerAddr(1) });
    const fx = step(s, input);
    s.workers[wid(2)]!.state = "DEAD";
    s.recoveryState = "ALIVE";
    expect(judge(s, input, fx, ledger)).toContain(M7);
  });

  it("M7: completing recovery by relaunching a driver its live worker runs fires", () => {
    const { s, ledger } = waitingForWorker2();
    const input = schedulerState(2, []);
    const fx = step(s, input);
    delete s.drivers[PLACED]; // as if completeRecovery had relaunched it
    expect(judge(s, input, fx, ledger)).toContain(M7);
  });

  it("M7: an unsupervised driver no worker reported, relaunched instead of ended ERROR, fires", () => {
    const { s, ledger } = waitingForWorker2();
    const input = schedulerState(2, []);
    const fx = step(s, input);
    s.completedDrivers.find((d) => d.id === PLAIN)!.state = "RELAUNCHING";
    expect(judge(s, input, fx, ledger)).toContain(M7);
  });

  it("M7: a supervised driver no worker reported, left unqueued, fires", () => {
    const { s, ledger } = waitingForWorker2();
    const input = schedulerState(2, []);
    const fx = step(s, input);
    s.completedDrivers = s.completedDrivers.filter((d) => d.id !== SUPERVISED);
    s.drivers[SUPERVISED] = { id: SUPERVISED, desc: driverDesc(true), startTimeMs: T0 - 1000, state: "SUBMITTED" };
    expect(judge(s, input, fx, ledger)).toContain(M7);
  });
});

describe("M7: drivers a worker reports are adopted", () => {
  it("M7: a driver a worker reported running but the master left unplaced fires", () => {
    const s = newMaster();
    const ledger = newRecoveryEndLedger();
    expect(stepAndJudge(s, { type: "leaderElected", stored: STORED }, ledger)).toEqual([]);
    const input = schedulerState(1, [PLACED]);
    const fx = step(s, input);
    expect(s.drivers[PLACED]!.workerId).toBe(wid(1));
    s.drivers[PLACED]!.workerId = undefined; // as if the report had been refused as an unknown driver
    expect(judge(s, input, fx, ledger)).toContain(M7);
  });
});
