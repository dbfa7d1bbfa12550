import { describe, expect, it } from "vitest";
import { TIMER_HEARTBEAT, TIMER_REGISTRATION } from "../../../src/protocol/executor/index.js";
import { nextFloat, seedRng } from "../../../src/protocol/random.js";
import {
  constructedExecutor,
  DRIVER,
  EXEC_ID,
  exits,
  fromDriver,
  ignoredReasons,
  SELF,
  sent,
  startExecutor,
  step,
  timer,
} from "./fixtures.js";

describe("executor: init", () => {
  it("executor: init: asks the driver RegisterExecutor and arms the ask timeout", () => {
    const { state, effects } = startExecutor();
    expect(effects).toEqual([
      {
        type: "send",
        to: DRIVER,
        message: { type: "RegisterExecutor", executorId: EXEC_ID, executorAddress: SELF, hostname: "10.0.0.2", cores: 4 },
      },
      { type: "setTimer", key: TIMER_REGISTRATION, afterMs: 120_000 },
    ]);
    expect(state).toMatchObject({ registering: true, constructed: false, stopping: false });
  });
});

describe("executor: RegisteredExecutor", () => {
  it("executor: RegisteredExecutor: constructs the executor, sends LaunchedExecutor, starts the heartbeater", () => {
    const { state } = startExecutor({ seed: 5 });
    const effects = step(state, fromDriver({ type: "RegisteredExecutor" }));
    const jitter = Math.floor(nextFloat({ rng: seedRng(5) }) * 10_000);
    expect(effects).toEqual([
      { type: "cancelTimer", key: TIMER_REGISTRATION },
      { type: "send", to: DRIVER, message: { type: "LaunchedExecutor", executorId: EXEC_ID } },
      { type: "setTimer", key: TIMER_HEARTBEAT, afterMs: 10_000 + jitter },
    ]);
    expect(state).toMatchObject({ constructed: true, registering: false });
  });

  it("executor: RegisteredExecutor: the first heartbeat comes within [interval, 2 x interval)", () => {
    for (let seed = 0; seed < 30; seed++) {
      const { state } = startExecutor({ seed });
      const effects = step(state, fromDriver({ type: "RegisteredExecutor" }));
      const beat = effects.find((e) => e.type === "setTimer" && e.key === TIMER_HEARTBEAT) as { afterMs: number };
      expect(beat.afterMs).toBeGreaterThanOrEqual(10_000);
      expect(beat.afterMs).toBeLessThan(20_000);
      expect(Number.isInteger(beat.afterMs)).toBe(true);
    }
  });

  it("executor: RegisteredExecutor twice: the second is ignored", () => {
    const state = constructedExecutor();
    expect(ignoredReasons(step(state, fromDriver({ type: "RegisteredExecutor" })))).toEqual(["already-constructed"]);
  });
});

describe("executor: registration failures", () => {
  it("executor: RegisterExecutorFailed: exits 1 with the driver's message, without RemoveExecutor", () => {
    const { state } = startExecutor();
    const effects = step(state, fromDriver({ type: "RegisterExecutorFailed", message: "Duplicate executor ID: 0" }));
    expect(effects).toEqual([
      { type: "cancelTimer", key: TIMER_REGISTRATION },
      { type: "exit", code: 1, reason: "Executor registration failed: Duplicate executor ID: 0" },
    ]);
    expect(sent(effects)).toEqual([]);
    expect(state.stopping).toBe(true);
  });

  it("executor: RegisterExecutorFailed after construction: still exits 1", () => {
    const state = constructedExecutor();
    const effects = step(state, fromDriver({ type: "RegisterExecutorFailed", message: "late" }));
    expect(exits(effects)).toEqual([{ type: "exit", code: 1, reason: "Executor registration failed: late" }]);
  });

  it("executor: registration ask timeout: exits 1 without telling the driver (Spark's onStart failure)", () => {
    const { state } = startExecutor();
    const effects = step(state, timer(TIMER_REGISTRATION), 120_000);
    expect(effects).toEqual([{ type: "exit", code: 1, reason: `Cannot register with driver: ${DRIVER}` }]);
  });

  it("executor: registration timer after the driver answered: stale", () => {
    const state = constructedExecutor();
    expect(ignoredReasons(step(state, timer(TIMER_REGISTRATION)))).toEqual(["stale-timer"]);
  });
});
