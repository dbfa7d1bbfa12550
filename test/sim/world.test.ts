import { describe, expect, it } from "vitest";
import type { Effect, Input, Role } from "../../src/protocol/index.js";
import { address, appId } from "../../src/protocol/index.js";
import { TaskTable, World, type WorldOptions } from "../../src/sim/world.js";
import { stream } from "../../src/sim/rng.js";
import type { TraceRecord } from "../../src/sim/trace.js";
import { ClusterRun } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { loadScenario } from "./helpers.js";

/** A toy role: on "start" pings its peer `count` times; answers every ping with a pong. */
interface PingState {
  peer: string;
  received: string[];
  timerFires: string[];
}
const pingPong: Role<PingState, { peer: string; pings: number }> = {
  name: "ping",
  init(config) {
    const effects: Effect[] = [];
    for (let i = 0; i < config.pings; i++)
      effects.push({ type: "send", to: address(config.peer), message: { type: "ExecutorHeartbeat", executorId: String(i) as never } });
    return { state: { peer: config.peer, received: [], timerFires: [] }, effects };
  },
  step(state, input) {
    if (input.type === "message") {
      const m = input.message;
      if (m.type === "ExecutorHeartbeat") {
        state.received.push(`ping${m.executorId}`);
        return [{ type: "send", to: input.from, message: { type: "HeartbeatResponse", reregisterBlockManager: false } }];
      }
      state.received.push(m.type);
      return [];
    }
    if (input.type === "timer") state.timerFires.push(input.key);
    else state.received.push(input.type === "peerDisconnected" ? `disconnected:${input.peer}` : input.type);
    return [];
  },
};

/** A toy role driven by commands carried in its config: emits whatever effects a test hands it. */
interface ScriptState {
  inputs: Input[];
}
const scripted = (script: (input: Input, state: ScriptState) => Effect[], initEffects: Effect[] = []): Role<ScriptState, null> => ({
  name: "scripted",
  init: () => ({ state: { inputs: [] }, effects: initEffects }),
  step(state, input) {
    state.inputs.push(input);
    return script(input, state);
  },
});

const world = (opts: Partial<WorldOptions> = {}) => new World({ seed: 1, latency: { minMs: 1, maxMs: 5 }, ...opts });

describe("sim world", () => {
  it("world: ping-pong: every ping is answered, in FIFO order per pair", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 20 } });
    w.run(1000);
    expect((b.state as PingState).received).toEqual(Array.from({ length: 20 }, (_, i) => `ping${i}`));
    expect((a.state as PingState).received).toHaveLength(20);
    expect(w.counts.messagesDelivered).toBe(40);
  });

  it("world: setTimer replaces a pending timer with the same key; cancelTimer stops it", () => {
    const w = world();
    const node = w.addNode({
      name: "t",
      kind: "client",
      role: scripted(
        () => [],
        [
          { type: "setTimer", key: "x", afterMs: 100 },
          { type: "setTimer", key: "x", afterMs: 300 },
          { type: "setTimer", key: "y", afterMs: 50 },
          { type: "cancelTimer", key: "y" },
          { type: "setTimer", key: "z", afterMs: 200 },
        ],
      ),
      config: null,
    });
    const times: Array<[string, number]> = [];
    w.hooks.afterStep = ({ input }) => {
      if (input?.type === "timer") times.push([input.key, w.now]);
    };
    w.run(10_000);
    expect(times).toEqual([
      ["z", 200],
      ["x", 300],
    ]);
    expect((node.state as ScriptState).inputs).toHaveLength(2);
  });

  it("world: a crash is seen as peerDisconnected by peers that exchanged messages, and messages to the dead are lost", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 1 } });
    const c = w.addNode({ name: "c", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    w.run(100);
    expect(w.crash(b)).toBe(true);
    expect(w.crash(b)).toBe(false);
    w.run(200);
    expect((a.state as PingState).received).toContain("disconnected:b");
    expect((c.state as PingState).received).toEqual([]);
    w.inject(a, "b", { type: "StopExecutor" });
    expect(w.counts.lost["receiver-down"]).toBe(1);
    expect(w.restart(b)).toBe(true);
    expect(b.alive).toBe(true);
    expect((b.state as PingState).received).toEqual([]);
  });

  it("world: a connection broken by a crash opens again with the next delivery: a second crash is seen too", () => {
    const w = world();
    const a = w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 0 } });
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 2 } });
    w.run(100);
    w.crash(b);
    w.run(200);
    expect((a.state as PingState).received.filter((r) => r.startsWith("disconnected"))).toEqual(["disconnected:b"]);
    // The restarted b pings again (its init), a answers: the pair is connected once more.
    w.restart(b);
    w.run(300);
    w.crash(b);
    w.run(400);
    expect((a.state as PingState).received.filter((r) => r.startsWith("disconnected"))).toEqual(["disconnected:b", "disconnected:b"]);
    // And a crash of a is seen by the restarted b only while b is alive.
    w.restart(b);
    w.run(500);
    w.crash(a);
    w.run(600);
    expect((b.state as PingState).received.filter((r) => r.startsWith("disconnected"))).toEqual(["disconnected:a"]);
  });

  it("world: a pause stalls timers and inbox; resume delivers them in order", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    w.pause(b);
    const a = w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 3 } });
    w.run(1000);
    expect((b.state as PingState).received).toEqual([]);
    expect((a.state as PingState).received).toEqual([]);
    w.resume(b);
    w.run(2000);
    expect((b.state as PingState).received).toEqual(["ping0", "ping1", "ping2"]);
    expect((a.state as PingState).received).toHaveLength(3);
  });

  it("world: on resume the stalled inputs come before a message due the same instant, which was sent after them (FIFO, I28)", () => {
    // The resume is scheduled first (at pause time); the later message is sent so that it arrives exactly then.
    const w = world({ latency: { minMs: 1, maxMs: 1 } });
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: null, config: null });
    w.pause(b);
    w.at(100, () => w.resume(b));
    w.at(10, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "0" as never }));
    w.at(99, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "1" as never }));
    w.run(200);
    expect((b.state as PingState).received).toEqual(["ping0", "ping1"]);
  });

  it("world: launch creates a process node, reports processLaunched, and its exit as processExited; kill exits 143", () => {
    const app = appId("app-1");
    const launchSpec = {
      kind: "executor" as const,
      appId: app,
      execId: 0,
      cores: 1,
      memoryMb: 1,
      appDesc: { name: "x", memoryPerExecutorMb: 1, command: {} },
      driverAddress: address("d"),
      workerAddress: address("w"),
      workerId: "w1" as never,
    };
    const w = world({
      hooks: {
        launcher: (spec) => ({ name: `exec-${spec.kind}`, kind: "executor", role: scripted(() => []), config: null }),
      },
    });
    const parent = w.addNode({
      name: "w",
      kind: "worker",
      role: scripted(
        (input) => (input.type === "processLaunched" ? [{ type: "kill", process: input.process, graceMs: 10 }] : []),
        [{ type: "launch", spec: launchSpec }],
      ),
      config: null,
    });
    w.run(10_000);
    const inputs = (parent.state as ScriptState).inputs.map((i) => i.type + (i.type === "processExited" ? `:${i.exitCode}` : ""));
    expect(inputs).toEqual(["processLaunched", "processExited:143"]);
    const child = w.byName.get("exec-executor")!;
    expect(child.alive).toBe(false);
    expect(child.host).toBe("w");
  });

  it("world: a crashed launcher takes its processes down and hears nothing", () => {
    const w = world({ hooks: { launcher: () => ({ name: "child", kind: "executor", role: scripted(() => []), config: null }) } });
    const parent = w.addNode({
      name: "w",
      kind: "worker",
      role: scripted(
        () => [],
        [
          {
            type: "launch",
            spec: {
              kind: "driver",
              driverId: "driver-1" as never,
              desc: { cores: 1, memoryMb: 1, supervise: false, command: {} },
              workerAddress: address("w"),
              workerId: "w1" as never,
            },
          },
        ],
      ),
      config: null,
    });
    w.run(1000);
    const child = w.byName.get("child")!;
    expect(child.alive).toBe(true);
    w.crash(parent);
    expect(child.alive).toBe(false);
    w.run(2000);
  });

  it("world: runTask finishes after the planned duration; killTask ends it as killed instead", () => {
    const task = (id: number) => ({
      taskId: id,
      attemptNumber: 0,
      executorId: "0" as never,
      taskSetId: "j.0.0",
      index: id,
      cpus: 1,
      payload: { data: null, sizeBytes: 1 },
    });
    const w = world({ hooks: { taskPlan: () => ({ durationMs: 500, outcome: { kind: "success", value: 1, sizeBytes: 1 } }) } });
    const node = w.addNode({
      name: "e",
      kind: "executor",
      role: scripted(
        () => [],
        [
          { type: "runTask", task: task(1) },
          { type: "runTask", task: task(2) },
          { type: "killTask", taskId: 2, reason: "stop" },
        ],
      ),
      config: null,
    });
    w.run(10_000);
    const ends = (node.state as ScriptState).inputs.map((i) => (i.type === "taskFinished" ? `${i.taskId}:${i.outcome.kind}` : i.type));
    expect(ends).toEqual(["2:killed", "1:success"]);
  });

  it("world: records every step and hashes the trace the same way twice", () => {
    const runOnce = () => {
      const records: TraceRecord[] = [];
      const w = world({ recordSink: (r) => records.push(r) });
      w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
      w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 5 } });
      w.run(1000);
      return { hash: w.traceHash(), records: records.length };
    };
    const first = runOnce();
    expect(first).toEqual(runOnce());
    expect(first.records).toBe(12);
    expect(first.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("world: a node's task table answers as a Map, below and above its small-table limit", () => {
    const r = stream(5, "task-table");
    const table = new TaskTable();
    const map = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      // Up to ~60 ids live at once: the table switches to a Map past 32; clear() brings it back.
      const id = r.int(0, 60);
      const op = r.int(0, 9);
      if (op < 5) {
        table.set(id, i);
        map.set(id, i);
      } else if (op < 9) {
        table.delete(id);
        map.delete(id);
      } else if (r.chance(0.05)) {
        table.clear();
        map.clear();
      }
      const probe = r.int(0, 60);
      expect(table.size).toBe(map.size);
      expect(table.get(probe)).toBe(map.get(probe));
      expect(table.has(probe)).toBe(map.has(probe));
    }
  });

  it("world: takeIfCurrent removes a task only for its current completion event, below and above the small-table limit", () => {
    const r = stream(6, "task-table-take");
    const table = new TaskTable();
    const map = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const id = r.int(0, 60);
      if (r.chance(0.6)) {
        table.set(id, i);
        map.set(id, i);
      } else {
        // Half the probes name the current event, half a stale one.
        const seq = r.chance(0.5) ? (map.get(id) ?? -1) : i;
        const current = map.get(id) === seq;
        expect(table.takeIfCurrent(id, seq)).toBe(current);
        if (current) map.delete(id);
      }
      if (r.chance(0.01)) {
        table.clear();
        map.clear();
      }
      expect(table.size).toBe(map.size);
      expect(table.get(id)).toBe(map.get(id));
    }
  });

  it("world: counts.inputs holds every delivered input by type, keyed in first-delivery order, read mid-run and at the end", () => {
    const expected: Record<string, number> = {};
    let world: World | null = null;
    let checked = 0;
    const sink = (r: TraceRecord): void => {
      if (r.input === null) return;
      const key = r.input.type === "message" ? r.input.message.type : r.input.type;
      expected[key] = (expected[key] ?? 0) + 1;
      // A step is counted before it runs, so its record sees itself counted.
      if (world !== null && r.step % 97 === 0) {
        expect(Object.entries(world.counts.inputs)).toEqual(Object.entries(expected));
        checked++;
      }
    };
    const run = new ClusterRun(loadScenario("master-failover.json"), ROLES, { recordSink: sink });
    world = run.world;
    const result = run.run();
    expect(checked).toBeGreaterThan(3);
    expect(Object.keys(expected).length).toBeGreaterThan(15);
    expect(Object.entries(result.counts.inputs)).toEqual(Object.entries(expected));
    expect(JSON.parse(JSON.stringify(result.counts)).inputs).toEqual(expected);
  });

  it("world: a message stalled by a pause still reaches the checks with its sender, link and send stamp", () => {
    const seen: Array<{ from: string | null; link: number | null; stamp: number }> = [];
    const w = world({
      hooks: {
        afterStep: ({ node, input, sender, inputLink, inputStamp }) => {
          if (node.name === "b" && input?.type === "message")
            seen.push({ from: sender?.name ?? null, link: inputLink?.id ?? null, stamp: inputStamp ?? 0 });
        },
      },
    });
    const b = w.addNode({ name: "b", kind: "client", role: pingPong, config: { peer: "a", pings: 0 } });
    w.pause(b);
    w.addNode({ name: "a", kind: "client", role: pingPong, config: { peer: "b", pings: 3 } });
    w.run(1000);
    expect(seen).toEqual([]);
    w.resume(b);
    w.run(2000);
    const link = w.network.link(w.byName.get("a")!.key, b.key).id;
    expect(seen).toEqual([1, 2, 3].map((stamp) => ({ from: "a", link, stamp })));
  });
});
