import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import { nodeSeed, stream } from "../../src/sim/rng.js";

// A stream's draws must be seedrandom's own, whatever rng.ts does to make seeding cheap (the
// trace hashes of every recorded run depend on it).
const SEEDS: Array<number | string> = [
  0,
  1,
  2,
  42,
  4294967295,
  -7,
  "",
  "x",
  "seed with spaces",
  "ünïcødé-€-名前",
  "a".repeat(255),
  "b".repeat(256),
  "c".repeat(257),
  `${"long/".repeat(90)}end`,
];
const NAMES = ["network", "faults", "workload", "node/worker-1", "node/exec-app-20260101000000-0000-17", ""];

describe("rng: streams draw exactly what seedrandom draws", () => {
  it("rng: next, uint32, int and chance match seedrandom's quick and int32 for many seeds and names", () => {
    for (const seed of SEEDS) {
      for (const name of NAMES) {
        const ours = stream(seed, name);
        const ref = seedrandom(`${seed}/${name}`);
        for (let i = 0; i < 300; i++) {
          switch (i % 4) {
            case 0:
              expect(ours.next()).toBe(ref.quick());
              break;
            case 1:
              expect(ours.uint32()).toBe(ref.int32() >>> 0);
              break;
            case 2: {
              const min = i % 7;
              const max = min + (i % 13);
              expect(ours.int(min, max)).toBe(max <= min ? min : min + Math.floor(ref.quick() * (max - min + 1)));
              break;
            }
            default:
              expect(ours.chance(0.3)).toBe(ref.quick() < 0.3);
          }
        }
      }
    }
  });

  it("rng: a node seed is the first int32 of seedrandom(<seed>/node/<name>), unsigned", () => {
    for (const seed of SEEDS) {
      for (const name of ["master-1", "worker-1", "worker-1#2", "drv-app#0", "名前", "z".repeat(300)]) {
        expect(nodeSeed(seed, name)).toBe(seedrandom(`${seed}/node/${name}`).int32() >>> 0);
      }
    }
  });

  it("rng: a stream's draws do not depend on when it is first drawn from or on other streams' draws", () => {
    const a = stream(5, "a");
    const b = stream(5, "b");
    const first = [a.next(), b.next(), nodeSeed(5, "x"), a.next(), b.uint32()];
    const a2 = stream(5, "a");
    const b2 = stream(5, "b");
    const bFirst = b2.next();
    nodeSeed(5, "y");
    expect([a2.next(), bFirst, nodeSeed(5, "x"), a2.next(), b2.uint32()]).toEqual(first);
  });

  it("rng: int with max <= min returns min without drawing; chance(0) and chance(1) draw nothing", () => {
    const s = stream(9, "edge");
    const ref = seedrandom("9/edge");
    expect(s.int(4, 4)).toBe(4);
    expect(s.int(5, 2)).toBe(5);
    expect(s.chance(0)).toBe(false);
    expect(s.chance(1)).toBe(true);
    expect(s.next()).toBe(ref.quick());
  });
});
