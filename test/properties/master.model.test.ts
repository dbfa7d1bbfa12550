/**
 * Model-based test (fast-check `commands`) of the master's registration, accounting and placement
 * against a small model: workers join and die, apps register and leave, executors exit; after
 * every command the real reducer's view must match the model (which workers and apps exist), its
 * books must balance (used cores = what its executors hold, within capacity and app limits), and
 * placement must be complete (no waiting app could still fit an executor on a live worker).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { address, type Effect } from "../../src/protocol/index.js";
import type { MasterState } from "../../src/protocol/master/state.js";
import { aliveMaster, appDesc, deliver, driverAddr, registerWorkerMsg, step, workerAddr, wid } from "../protocol/master/fixtures.js";

interface Model {
  nextWorker: number;
  nextApp: number;
  /** Live workers by number. */
  workers: Map<number, { cores: number; memoryMb: number }>;
  /** Registered apps by number. */
  apps: Map<number, { maxCores: number; coresPerExecutor: number; memoryMb: number }>;
}

interface Real {
  s: MasterState;
  /** Every effect so far, for the placement check (launches go only to live workers). */
  launchesToDeadWorkers: string[];
}

function recordLaunches(r: Real, fx: Effect[]): void {
  for (const e of fx) {
    if (e.type !== "send" || e.message.type !== "LaunchExecutor") continue;
    const id = r.s.addressToWorker[e.to];
    if (id === undefined || r.s.workers[id]?.state !== "ALIVE") r.launchesToDeadWorkers.push(e.to);
  }
}

/** The books and the placement, checked after every command. */
function checkAgainstModel(m: Model, r: Real): void {
  const s = r.s;
  const alive = Object.values(s.workers).filter((w) => w.state === "ALIVE");
  expect(alive.map((w) => w.id).sort()).toEqual([...m.workers.keys()].map((n) => wid(n)).sort());
  expect(Object.keys(s.addressToApp).sort()).toEqual([...m.apps.keys()].map((n) => driverAddr(n)).sort());
  expect(r.launchesToDeadWorkers).toEqual([]);
  const held: Record<string, { cores: number; memoryMb: number }> = {};
  for (const app of Object.values(s.apps)) {
    const n = Number(app.driverAddress.slice("driver-".length));
    const spec = m.apps.get(n)!;
    let granted = 0;
    for (const e of Object.values(app.executors)) {
      granted += e.cores;
      expect(e.cores).toBe(spec.coresPerExecutor);
      expect(s.workers[e.workerId]?.state).toBe("ALIVE");
      const h = (held[e.workerId] ??= { cores: 0, memoryMb: 0 });
      h.cores += e.cores;
      h.memoryMb += e.memoryMb;
    }
    expect(app.coresGranted).toBe(granted);
    expect(granted).toBeLessThanOrEqual(spec.maxCores);
  }
  for (const w of alive) {
    expect({ w: w.id, cores: w.coresUsed, mem: w.memoryUsed }).toEqual({
      w: w.id,
      cores: held[w.id]?.cores ?? 0,
      mem: held[w.id]?.memoryMb ?? 0,
    });
    expect(w.coresUsed).toBeLessThanOrEqual(w.cores);
    expect(w.memoryUsed).toBeLessThanOrEqual(w.memoryMb);
  }
  // Placement is complete: an app still short of its limit fits on no live worker.
  for (const app of Object.values(s.apps)) {
    const spec = m.apps.get(Number(app.driverAddress.slice("driver-".length)))!;
    if (spec.maxCores - app.coresGranted < spec.coresPerExecutor) continue;
    for (const w of alive) {
      const fits = w.cores - w.coresUsed >= spec.coresPerExecutor && w.memoryMb - w.memoryUsed >= spec.memoryMb;
      expect(fits, `app ${app.id} wants ${spec.coresPerExecutor} more cores and ${w.id} has ${w.cores - w.coresUsed} free`).toBe(false);
    }
  }
}

class RegisterWorker implements fc.Command<Model, Real> {
  constructor(
    readonly cores: number,
    readonly memoryMb: number,
  ) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const n = ++m.nextWorker;
    m.workers.set(n, { cores: this.cores, memoryMb: this.memoryMb });
    recordLaunches(r, deliver(r.s, workerAddr(n), registerWorkerMsg(n, this.cores, this.memoryMb)));
    checkAgainstModel(m, r);
  }
  toString = (): string => `RegisterWorker(${this.cores} cores, ${this.memoryMb} MiB)`;
}

class LoseWorker implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.workers.size > 0;
  run(m: Model, r: Real): void {
    const n = [...m.workers.keys()][this.pick % m.workers.size]!;
    m.workers.delete(n);
    recordLaunches(r, step(r.s, { type: "peerDisconnected", peer: workerAddr(n) }));
    checkAgainstModel(m, r);
  }
  toString = (): string => `LoseWorker(#${this.pick})`;
}

class RegisterApp implements fc.Command<Model, Real> {
  constructor(
    readonly maxCores: number,
    readonly coresPerExecutor: number,
    readonly memoryMb: number,
  ) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const n = ++m.nextApp;
    m.apps.set(n, { maxCores: this.maxCores, coresPerExecutor: this.coresPerExecutor, memoryMb: this.memoryMb });
    const desc = appDesc({ maxCores: this.maxCores, coresPerExecutor: this.coresPerExecutor, memoryPerExecutorMb: this.memoryMb });
    recordLaunches(r, deliver(r.s, driverAddr(n), { type: "RegisterApplication", appDesc: desc, driverAddress: driverAddr(n) }));
    checkAgainstModel(m, r);
  }
  toString = (): string => `RegisterApp(max ${this.maxCores}, ${this.coresPerExecutor}/executor, ${this.memoryMb} MiB)`;
}

class UnregisterApp implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.apps.size > 0;
  run(m: Model, r: Real): void {
    const n = [...m.apps.keys()][this.pick % m.apps.size]!;
    m.apps.delete(n);
    const appId = r.s.addressToApp[driverAddr(n)]!;
    recordLaunches(r, deliver(r.s, driverAddr(n), { type: "UnregisterApplication", appId }));
    checkAgainstModel(m, r);
  }
  toString = (): string => `UnregisterApp(#${this.pick})`;
}

class ExecutorExits implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const execs = Object.values(r.s.apps).flatMap((a) => Object.values(a.executors));
    if (execs.length > 0) {
      const e = execs[this.pick % execs.length]!;
      const w = r.s.workers[e.workerId]!;
      recordLaunches(
        r,
        deliver(r.s, address(w.address), { type: "ExecutorStateChanged", appId: e.appId, execId: e.id, state: "EXITED", exitStatus: 0 }),
      );
    }
    checkAgainstModel(m, r);
  }
  toString = (): string => `ExecutorExits(#${this.pick})`;
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom(2048, 4096, 8192)).map(([c, mem]) => new RegisterWorker(c, mem)),
  fc.nat().map((p) => new LoseWorker(p)),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(512, 1024, 3072))
    .map(([max, cpe, mem]) => new RegisterApp(max, cpe, mem)),
  fc.nat().map((p) => new UnregisterApp(p)),
  fc.nat().map((p) => new ExecutorExits(p)),
];

const modelProperty = (bugs: string[]) =>
  fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
    const model: Model = { nextWorker: 0, nextApp: 0, workers: new Map(), apps: new Map() };
    const real: Real = { s: aliveMaster({ bugs }), launchesToDeadWorkers: [] };
    fc.modelRun(() => ({ model, real }), cmds);
  });

describe("properties: master model", () => {
  it("property: registration, accounting and placement match the model after every command", () => {
    fc.assert(modelProperty([]), { numRuns: Number(process.env["FLINT_PROPERTY_RUNS"] ?? 150) });
  });

  it("property: the model catches SPARK-36509 (no schedule() after a worker is lost) and shrinks it to a handful of commands", () => {
    const result = fc.check(modelProperty(["SPARK-36509"]), { numRuns: 300, seed: 36509 });
    expect(result.failed).toBe(true);
    const shrunk = String(result.counterexample?.[0] ?? "");
    expect(shrunk).toContain("LoseWorker");
    expect(shrunk.match(/[A-Za-z]+\(/g)?.length, shrunk).toBeLessThanOrEqual(4);
  });
});
