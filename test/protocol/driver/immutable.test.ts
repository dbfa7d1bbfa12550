import { produce, setAutoFreeze } from "immer";
import { describe, expect, it } from "vitest";
import { driver, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import type { Effect, Input } from "../../../src/protocol/index.js";
import { APP, eid, execAddr, initDriver, jobId, launched, MASTER, notes, payload, T0 } from "./fixtures.js";

setAutoFreeze(true);

/** One step in immutable mode: a new frozen state, the old one untouched. */
function produceStep(state: DriverRoleState, input: Input, now = T0): { state: DriverRoleState; fx: Effect[] } {
  let fx: Effect[] = [];
  const next = produce(state, (draft) => {
    fx = driver.step(draft as DriverRoleState, input, { now });
  });
  return { state: next, fx };
}

describe("driver: immutable mode (immer produce)", () => {
  it("driver: a job run through produce: effects hold no drafts, old states stay untouched, results match owned mode", () => {
    let state = initDriver().state;
    const inputs: Input[] = [
      { type: "message", from: MASTER, message: { type: "RegisteredApplication", appId: APP, masterAddress: MASTER } },
      {
        type: "message",
        from: execAddr(1),
        message: { type: "RegisterExecutor", executorId: eid(1), executorAddress: execAddr(1), hostname: "h1", cores: 2 },
      },
      { type: "message", from: execAddr(1), message: { type: "LaunchedExecutor", executorId: eid(1) } },
      {
        type: "command",
        command: {
          kind: "submitJob",
          jobId: jobId("j1"),
          taskSets: [{ tasks: [payload({ n: 1 }), payload({ n: 2 }), payload({ n: 3 })] }],
        },
      },
    ];
    const all: Effect[] = [];
    for (const input of inputs) {
      const before = JSON.stringify(state);
      const out = produceStep(state, input);
      expect(JSON.stringify(state)).toBe(before);
      expect(Object.isFrozen(out.state)).toBe(true);
      state = out.state;
      all.push(...out.fx);
    }
    const queue = launched(all);
    expect(queue).toHaveLength(2);
    while (queue.length > 0) {
      const t = queue.shift()!;
      const out = produceStep(state, {
        type: "message",
        from: execAddr(1),
        message: {
          type: "StatusUpdate",
          executorId: eid(1),
          taskId: t.taskId,
          state: "FINISHED",
          data: { kind: "result", value: { doubled: (t.payload.data as { n: number }).n * 2 }, sizeBytes: 8 },
          taskCpus: 1,
        },
      });
      state = out.state;
      all.push(...out.fx);
      queue.push(...launched(out.fx));
    }
    // A revoked draft would throw on the first read here.
    expect(() => structuredClone(all)).not.toThrow();
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
    expect(notes(all, "jobSucceeded")).toEqual([
      { kind: "jobSucceeded", jobId: "j1", results: [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }] },
    ]);
    const payloadSent = launched(all)[0]!.payload;
    expect(Object.isFrozen(payloadSent.data)).toBe(false);
    expect(structuredClone(state)).toEqual(state);
  });
});
