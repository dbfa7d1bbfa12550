import { describe, expect, it } from "vitest";
import type { Effect, Input, Role } from "../../src/protocol/index.js";
import { address } from "../../src/protocol/index.js";
import { World, type WorldOptions } from "../../src/sim/world.js";
import { CONNECTION_TIMEOUT_MS } from "../../src/sim/network.js";

/** A toy role: sends `pings` heartbeats to its peer at start and on every "send" timer; records what it receives. */
interface PingState {
  peer: string;
  received: string[];
  sent: number;
  everyMs: number;
}
const pinger: Role<PingState, { peer: string; pings: number; everyMs: number }> = {
  name: "pinger",
  init(config) {
    const effects: Effect[] = [];
    for (let i = 0; i < config.pings; i++)
      effects.push({ type: "send", to: address(config.peer), message: { type: "ExecutorHeartbeat", executorId: String(i) as never } });
    if (config.everyMs > 0) effects.push({ type: "setTimer", key: "send", afterMs: config.everyMs });
    return { state: { peer: config.peer, received: [], sent: config.pings, everyMs: config.everyMs }, effects };
  },
  step(state, input: Input) {
    if (input.type === "message") {
      const m = input.message;
      state.received.push(m.type === "ExecutorHeartbeat" ? `ping${m.executorId}` : m.type);
      return [];
    }
    if (input.type === "peerDisconnected") {
      state.received.push(`disconnected:${input.peer}`);
      return [];
    }
    if (input.type === "timer") {
      const n = state.sent++;
      return [
        { type: "send", to: address(state.peer), message: { type: "ExecutorHeartbeat", executorId: String(n) as never } },
        { type: "setTimer", key: "send", afterMs: state.everyMs },
      ];
    }
    return [];
  },
};

const world = (opts: Partial<WorldOptions> = {}) => new World({ seed: 1, latency: { minMs: 1, maxMs: 5 }, ...opts });
const pings = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `ping${from + i}`);

describe("sim network: TCP model", () => {
  it("tcp: a partition shorter than the connection timeout delays messages both ways, loses none, keeps FIFO, and disconnects no one", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 1000 } });
    w.network.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 5, everyMs: 1000 } });
    w.at(30_000, () => w.healPartition(1));
    w.run(40_000);
    w.at(40_000, () => {
      // Stop sending, then let what is in flight land.
      a.timers.clear();
      b.timers.clear();
    });
    w.run(41_000);
    const atA = (a.state as PingState).received;
    const atB = (b.state as PingState).received;
    // Every message sent arrived, in order.
    expect(atB).toEqual(pings((a.state as PingState).sent));
    expect(atA).toEqual(pings((b.state as PingState).sent));
    expect(w.counts.messagesLost).toBe(0);
    expect(w.counts.messagesHeld).toBeGreaterThan(50);
    expect(w.counts.connectionsBroken).toBe(0);
  });

  it("tcp: a partition that outlasts the connection timeout breaks the connection: what was held is lost and both ends get peerDisconnected", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 2, everyMs: 0 } });
    w.run(100); // connected: b heard a
    expect((b.state as PingState).received).toEqual(pings(2));
    w.network.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false });
    w.at(200, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "9" as never }));
    w.run(200 + CONNECTION_TIMEOUT_MS - 1);
    expect((a.state as PingState).received).toEqual([]);
    expect((b.state as PingState).received).toEqual(pings(2));
    w.run(200 + CONNECTION_TIMEOUT_MS + 10);
    expect((a.state as PingState).received).toEqual(["disconnected:b"]);
    expect((b.state as PingState).received).toEqual([...pings(2), "disconnected:a"]);
    expect(w.counts.lost["connection-timeout"]).toBe(1);
    // The heal finds nothing held: the message went with its connection.
    w.healPartition(1);
    w.run(300_000);
    expect((b.state as PingState).received).toEqual([...pings(2), "disconnected:a"]);
  });

  it("tcp: a message in flight when the cut starts is held too, and on heal it still arrives before everything sent during the cut", () => {
    const w = world({ latency: { minMs: 50, maxMs: 50 } });
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 3, everyMs: 10 } });
    w.at(5, () => w.network.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false }));
    w.at(5_000, () => w.healPartition(1));
    w.run(6_000);
    const got = (b.state as PingState).received;
    expect(got.length).toBeGreaterThan(100);
    expect(got).toEqual(pings(got.length));
  });

  it("tcp: a message a fault drops resets the connection: both ends are told, and later messages go through on a new one", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 1, everyMs: 0 } });
    w.run(100);
    w.network.faults.push({
      id: 7,
      messageType: "ExecutorHeartbeat",
      fromHost: null,
      toHost: null,
      dropProbability: 0,
      dropFirst: 1,
      delayMs: 0,
      duplicateProbability: 0,
      fromMs: 0,
      untilMs: 1_000_000,
      hits: 0,
    });
    w.at(200, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "1" as never }));
    w.at(300, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "2" as never }));
    w.run(1_000);
    expect((a.state as PingState).received).toEqual(["disconnected:b"]);
    expect((b.state as PingState).received).toEqual(["ping0", "disconnected:a", "ping2"]);
    expect(w.counts.connectionsBroken).toBe(1);
  });

  it("tcp: a node that crashes behind a partition is noticed by its peer when the connection times out", () => {
    const w = world();
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 1, everyMs: 0 } });
    w.run(100);
    w.network.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false });
    w.at(200, () => w.crash(a));
    w.run(200 + CONNECTION_TIMEOUT_MS - 1);
    expect((b.state as PingState).received).toEqual(["ping0"]);
    w.run(200 + CONNECTION_TIMEOUT_MS + 1);
    expect((b.state as PingState).received).toEqual(["ping0", "disconnected:a"]);
  });

  it("lossy mode: a partition loses what crosses it silently, and nobody is told", () => {
    const w = world({ network: { lossy: true } });
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 1, everyMs: 0 } });
    w.run(100);
    w.network.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false });
    w.at(200, () => w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "1" as never }));
    w.at(1_000, () => w.healPartition(1));
    w.run(400_000);
    expect((b.state as PingState).received).toEqual(["ping0"]);
    expect((a.state as PingState).received).toEqual([]);
    expect(w.counts.lost["partition"]).toBe(1);
  });
});

describe("sim network: TCP model, one break per connection", () => {
  it("tcp: two sends of one step that a fault drops break the connection once: each end is told once", () => {
    const w = new World({ seed: 1, latency: { minMs: 1, maxMs: 5 } });
    const b = w.addNode({ name: "b", kind: "client", role: pinger, config: { peer: "a", pings: 0, everyMs: 0 } });
    const a = w.addNode({ name: "a", kind: "client", role: pinger, config: { peer: "b", pings: 1, everyMs: 0 } });
    w.run(100);
    w.network.faults.push({
      id: 7,
      messageType: "ExecutorHeartbeat",
      fromHost: null,
      toHost: null,
      dropProbability: 0,
      dropFirst: 2,
      delayMs: 0,
      duplicateProbability: 0,
      fromMs: 0,
      untilMs: 1_000_000,
      hits: 0,
    });
    w.at(200, () => {
      w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "1" as never });
      w.inject(a, "b", { type: "ExecutorHeartbeat", executorId: "2" as never });
    });
    w.run(1_000);
    expect((a.state as PingState).received).toEqual(["disconnected:b"]);
    expect((b.state as PingState).received).toEqual(["ping0", "disconnected:a"]);
    expect(w.counts.connectionsBroken).toBe(1);
  });
});
