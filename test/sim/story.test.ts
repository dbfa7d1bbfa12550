import { describe, expect, it } from "vitest";
import type { TraceRecord } from "../../src/sim/trace.js";
import { mentions, storyOf } from "../../src/sim/story.js";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { loadScenario } from "./helpers.js";

const rec = (
  step: number,
  node: string,
  cause: number,
  input: TraceRecord["input"],
  effects: TraceRecord["effects"] = [],
): TraceRecord => ({ step, timeMs: step, node, cause, input, effects });

describe("--story: exact ids and causes", () => {
  it("matches an id as a whole value only: worker-2 is not worker-20261206-x", () => {
    expect(mentions({ type: "send", to: "worker-2" }, "worker-2")).toBe(true);
    expect(mentions({ type: "send", to: "worker-20261206-x" }, "worker-2")).toBe(false);
    expect(mentions({ message: { taskId: 7, cores: 7 } }, "7")).toBe(true);
    expect(mentions({ message: { cores: 7 } }, "7")).toBe(false);
  });

  it("takes a story step's causes back to a step nothing caused, and nothing else", () => {
    const records = [
      rec(0, "master", -1, null),
      rec(1, "worker-20261206-x", -1, null),
      rec(2, "master", 0, { type: "timer", key: "check" }),
      rec(3, "master", 2, { type: "timer", key: "check" }, [
        { type: "send", to: "worker-2", message: { type: "ReconnectWorker", masterUrl: "m" } } as never,
      ]),
      rec(4, "worker-2", 3, { type: "message", from: "master", message: { type: "ReconnectWorker", masterUrl: "m" } } as never),
      rec(5, "worker-20261206-x", 1, { type: "timer", key: "hb" }),
    ];
    const story = storyOf(records, "worker-2");
    expect([...story.own].sort()).toEqual([3, 4]);
    expect([...story.causes].sort()).toEqual([0, 2]);
  });

  it("a simulated run gives every step a cause that is an earlier step (or none)", () => {
    const scenario = loadScenario("master-failover.json");
    const records: TraceRecord[] = [];
    runScenario(scenario, ROLES, { seed: 3, recordSink: (r) => records.push({ ...r }) });
    expect(records.length).toBeGreaterThan(100);
    for (const r of records) expect(r.cause).toBeLessThan(r.step);
    const messages = records.filter((r) => r.input?.type === "message");
    expect(messages.every((r) => r.cause >= 0)).toBe(true);
    // A message's cause is a step of its sender that sent it.
    for (const r of messages.slice(0, 200)) {
      const cause = records.find((c) => c.step === r.cause)!;
      const input = r.input as Extract<TraceRecord["input"], { type: "message" }>;
      expect(cause.node).toBe(input.from);
      expect(cause.effects.some((e) => e.type === "send" && e.to === r.node)).toBe(true);
    }
    const timers = records.filter((r) => r.input?.type === "timer");
    for (const r of timers.slice(0, 200)) {
      const cause = records.find((c) => c.step === r.cause)!;
      expect(cause.node).toBe(r.node);
    }
  });
});
