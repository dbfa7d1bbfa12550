import { describe, expect, it } from "vitest";
import { EventHeap } from "../../src/sim/heap.js";
import { fnv32, fnv32Word, fnv64, Fnv64 } from "../../src/sim/hash.js";
import { nodeSeed, stream } from "../../src/sim/rng.js";
import { Network } from "../../src/sim/network.js";

describe("sim heap", () => {
  it("heap: pops by time, then by insertion sequence", () => {
    const heap = new EventHeap<{ time: number; seq: number; tag: string }>();
    const input = [
      { time: 5, seq: 0, tag: "a" },
      { time: 1, seq: 1, tag: "b" },
      { time: 5, seq: 2, tag: "c" },
      { time: 3, seq: 3, tag: "d" },
      { time: 1, seq: 4, tag: "e" },
    ];
    for (const e of input) heap.push(e);
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop()!.tag);
    expect(out).toEqual(["b", "e", "d", "a", "c"]);
    expect(heap.pop()).toBeUndefined();
  });

  it("heap: stays ordered over many random pushes and pops", () => {
    const heap = new EventHeap<{ time: number; seq: number }>();
    const rng = stream(7, "heap-test");
    let seq = 0;
    let last = { time: -1, seq: -1 };
    for (let i = 0; i < 5000; i++) heap.push({ time: rng.int(0, 100), seq: seq++ });
    while (heap.size > 0) {
      const e = heap.pop()!;
      expect(e.time > last.time || (e.time === last.time && e.seq > last.seq)).toBe(true);
      last = e;
      if (rng.chance(0.3)) heap.push({ time: e.time + rng.int(0, 5), seq: seq++ });
    }
  });
});

describe("sim rng", () => {
  it("rng: the same seed and name give the same stream", () => {
    const a = stream(42, "network");
    const b = stream(42, "network");
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });

  it("rng: streams are independent: drawing from one does not move another", () => {
    const faultsAlone = stream(42, "faults");
    const expected = [faultsAlone.next(), faultsAlone.next(), faultsAlone.next()];
    const network = stream(42, "network");
    const faults = stream(42, "faults");
    for (let i = 0; i < 1000; i++) network.next();
    expect([faults.next(), faults.next(), faults.next()]).toEqual(expected);
  });

  it("rng: different names and seeds give different streams", () => {
    expect(stream(1, "a").next()).not.toBe(stream(1, "b").next());
    expect(stream(1, "a").next()).not.toBe(stream(2, "a").next());
    expect(nodeSeed(1, "worker-1")).not.toBe(nodeSeed(1, "worker-2"));
    expect(nodeSeed(1, "worker-1")).toBe(nodeSeed(1, "worker-1"));
  });

  it("rng: int is within bounds, chance honours 0 and 1", () => {
    const r = stream(3, "x");
    for (let i = 0; i < 1000; i++) {
      const v = r.int(2, 4);
      expect(v >= 2 && v <= 4 && Number.isInteger(v)).toBe(true);
    }
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    expect(r.int(5, 5)).toBe(5);
  });
});

describe("sim hash", () => {
  it("hash: raw input is standard FNV-1a 64", () => {
    expect(new Fnv64().raw("").hex()).toBe("cbf29ce484222325");
    expect(new Fnv64().raw("a").hex()).toBe("af63dc4c8601ec8c");
    expect(new Fnv64().raw("foobar").hex()).toBe("85944171f73967e8");
  });

  it("hash: fields are separated, so the split of a string matters", () => {
    expect(new Fnv64().str("ab").str("c").hex()).not.toBe(new Fnv64().str("a").str("bc").hex());
    expect(fnv64("x")).toBe(new Fnv64().raw("x").hex());
    expect(new Fnv64().num(1).hex()).not.toBe(new Fnv64().num(2 ** 32).hex());
  });

  it("hash: a number field is its two 32-bit halves, folded word by word (checked against BigInt FNV-64)", () => {
    const PRIME = (1n << 40n) + 0x1b3n;
    const reference = (words: bigint[]): string => {
      let h = 0xcbf29ce484222325n;
      for (const w of words) h = BigInt.asUintN(64, (h ^ w) * PRIME);
      return h.toString(16).padStart(16, "0");
    };
    const halves = (n: number): bigint[] => {
      const x = BigInt.asUintN(64, BigInt(n));
      return [x & 0xffffffffn, x >> 32n];
    };
    for (const n of [
      0,
      1,
      7,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 40 + 5,
      1_767_225_600_000,
      2 ** 53 - 1,
      -1,
      -(2 ** 31),
      -(2 ** 40),
    ]) {
      expect(new Fnv64().num(n).hex(), String(n)).toBe(reference(halves(n)));
    }
    expect(new Fnv64().num(1.5).hex()).toBe(new Fnv64().str("1.5").hex());
  });

  it("hash: a string field is its FNV-1a-32 word, however often and in whatever order strings repeat (the word caches)", () => {
    const PRIME = (1n << 40n) + 0x1b3n;
    const reference = (words: number[]): string => {
      let h = 0xcbf29ce484222325n;
      for (const w of words) h = BigInt.asUintN(64, (h ^ BigInt(w >>> 0)) * PRIME);
      return h.toString(16).padStart(16, "0");
    };
    const r = stream(3, "hash-strings");
    // Many strings of equal length and equal first and last characters share a front-cache slot.
    const pool = ["", "a", "StatusUpdate", "LaunchTask", "heartbeat", "名前", ...Array.from({ length: 300 }, (_, i) => `k${i % 17}-${i}x`)];
    const picked: string[] = [];
    const h = new Fnv64();
    for (let i = 0; i < 3000; i++) {
      const s = pool[r.int(0, pool.length - 1)]!;
      picked.push(s);
      h.str(s);
      expect(fnv32Word(s) >>> 0).toBe(fnv32(s));
    }
    expect(h.hex()).toBe(reference(picked.map((s) => fnv32(s))));
    expect(new Fnv64().word(fnv32Word("x")).hex()).toBe(new Fnv64().word(fnv32("x")).hex());
  });
});

describe("sim network", () => {
  const net = () => new Network(stream(1, "network"), { minMs: 1, maxMs: 20 });

  it("network: FIFO per ordered pair: a later message never arrives before an earlier one", () => {
    const n = net();
    let last = 0;
    for (let t = 0; t < 500; t++) {
      expect(n.route(0, 1, "a", "b", "Heartbeat", t)).toBe(1);
      expect(n.out[0]).toBeGreaterThanOrEqual(last);
      expect(n.out[0]).toBeGreaterThanOrEqual(t + 1);
      last = n.out[0]!;
    }
  });

  it("network: traffic within one host has no latency and is never cut", () => {
    const n = net();
    n.partitions.push({ id: 1, sideA: new Set(["a"]), sideB: null, oneWay: false });
    expect(n.route(0, 1, "a", "a", "StatusUpdate", 10)).toBe(1);
    expect(n.out[0]).toBe(10);
  });

  it("network (lossy mode): a symmetric partition loses what crosses it both ways, and heals", () => {
    const n = new Network(stream(1, "network"), { minMs: 1, maxMs: 20 }, { lossy: true, connectionTimeoutMs: 120_000 });
    n.partitions.push({ id: 1, sideA: new Set(["w1"]), sideB: null, oneWay: false });
    expect(n.route(0, 1, "w1", "m1", "Heartbeat", 0)).toBe(0);
    expect(n.lostReason).toBe("partition");
    expect(n.route(1, 0, "m1", "w1", "ReconnectWorker", 0)).toBe(0);
    expect(n.route(1, 2, "m1", "w2", "Heartbeat", 0)).toBe(1);
    expect(n.heal(1)).toBe(true);
    expect(n.heal(1)).toBe(false);
    expect(n.route(0, 1, "w1", "m1", "Heartbeat", 0)).toBe(1);
  });

  it("network: a one-way partition cuts only from side A to side B", () => {
    const n = net();
    n.partitions.push({ id: 1, sideA: new Set(["w1"]), sideB: new Set(["m1"]), oneWay: true });
    expect(n.isCut("w1", "m1")).toBe(true);
    expect(n.isCut("m1", "w1")).toBe(false);
    expect(n.isCut("w1", "m2")).toBe(false);
  });

  it("network: message faults drop the first n, delay, and duplicate by type", () => {
    const n = net();
    const base = {
      fromHost: null,
      toHost: null,
      dropProbability: 0,
      dropFirst: 0,
      delayMs: 0,
      duplicateProbability: 0,
      fromMs: 0,
      untilMs: 1000,
      hits: 0,
    };
    n.faults.push({ ...base, id: 1, messageType: "RegisterWorker", dropFirst: 2 });
    n.faults.push({ ...base, id: 2, messageType: "Heartbeat", delayMs: 500 });
    n.faults.push({ ...base, id: 3, messageType: "StatusUpdate", duplicateProbability: 1 });
    expect(n.route(0, 1, "a", "b", "RegisterWorker", 0)).toBe(0);
    expect(n.route(0, 1, "a", "b", "RegisterWorker", 0)).toBe(0);
    expect(n.route(0, 1, "a", "b", "RegisterWorker", 0)).toBe(1);
    expect(n.route(0, 2, "a", "c", "Heartbeat", 0)).toBe(1);
    expect(n.out[0]).toBeGreaterThanOrEqual(501);
    expect(n.route(0, 3, "a", "d", "StatusUpdate", 0)).toBe(2);
    expect(n.out[1]).toBe(n.out[0]! + 1);
    expect(n.faults.map((f) => f.hits)).toEqual([2, 1, 1]);
    // Outside its window a fault does nothing.
    expect(n.route(0, 1, "a", "b", "Heartbeat", 2000)).toBe(1);
  });
});
